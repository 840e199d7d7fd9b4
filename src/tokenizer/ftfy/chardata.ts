import { UTF8_CLUES as U } from "./char-categories.ts";

// ftfy's UTF8_DETECTOR_RE (chardata.py): runs of characters that look like UTF-8 bytes
// decoded one by one in a Latin-1-like codec, not preceded by a character that would make
// them the tail of a bigger garble.
export const UTF8_DETECTOR_RE = new RegExp(
  `(?<![${U.utf8_continuation_strict}])` +
    `(?:[${U.utf8_first_of_2}][${U.utf8_continuation}]` +
    `|[${U.utf8_first_of_3}][${U.utf8_continuation}]{2}` +
    `|[${U.utf8_first_of_4}][${U.utf8_continuation}]{3})+`,
  "gu",
);

export const C1_CONTROL_RE = /[\x80-\x9f]/g;
export const ASCII_ONLY_RE = /^[\x00-\x7f]*$/;
