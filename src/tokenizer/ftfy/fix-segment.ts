import { fixEncoding } from "./fix-encoding.ts";
import {
  fixC1Controls,
  fixCharacterWidth,
  fixLatinLigatures,
  fixLineBreaks,
  fixSurrogates,
  removeControlChars,
  removeTerminalEscapes,
  uncurlQuotes,
  unescapeHtml,
} from "./fixes.ts";

// ftfy.fix_and_explain with the default configuration, on one segment of text (a line):
// apply every fixer in ftfy's order, then NFC, and repeat until the text stops changing.
export function fixSegment(text: string, unescape: boolean): string {
  for (;;) {
    const original = text;
    if (unescape) text = unescapeHtml(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize("NFC");
    if (text === original) return text;
  }
}
