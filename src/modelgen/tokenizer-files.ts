// tokenizer.json, tokenizer_config.json and special_tokens_map.json as the Hugging Face
// CLIPTokenizerFast conversion writes them (the files Xenova/clip-vit-base-patch32 ships).

import { type BpeVocab, END_OF_TEXT, START_OF_TEXT } from './bpe-vocab.ts';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function addedToken(content: string) {
  return { content, single_word: false, lstrip: false, rstrip: false, normalized: true };
}

export function tokenizerJson({ tokens, merges }: BpeVocab): string {
  const startId = tokens.indexOf(START_OF_TEXT);
  const endId = tokens.indexOf(END_OF_TEXT);
  const VOCAB = '"@@VOCAB@@"';
  const doc = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: startId, ...addedToken(START_OF_TEXT), special: true },
      { id: endId, ...addedToken(END_OF_TEXT), special: true },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          // OpenAI's pre-split regex; the two special tokens are matched as added tokens instead.
          type: 'Split',
          pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    // RobertaProcessing is how the HF converter gets "<start> tokens <end>" with byte-level offsets.
    post_processor: {
      type: 'RobertaProcessing',
      sep: [END_OF_TEXT, endId],
      cls: [START_OF_TEXT, startId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: END_OF_TEXT,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab: '@@VOCAB@@',
      merges,
    },
  };
  // The vocabulary is written by hand: a JS object would list integer-like keys ("0", "1", ...)
  // first and would treat a "__proto__" key specially, while HF writes the tokens in id order.
  const vocab = tokens.map((t, id) => `      ${JSON.stringify(t)}: ${id}`).join(',\n');
  const text = json(doc);
  const at = text.indexOf(VOCAB);
  return `${text.slice(0, at)}{\n${vocab}\n    }${text.slice(at + VOCAB.length)}`;
}

export function tokenizerConfigJson(maxLength: number): string {
  return json({
    add_prefix_space: false,
    bos_token: START_OF_TEXT,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: END_OF_TEXT,
    errors: 'replace',
    model_max_length: maxLength,
    pad_token: END_OF_TEXT,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: END_OF_TEXT,
  });
}

export function specialTokensMapJson(): string {
  return json({
    bos_token: addedToken(START_OF_TEXT),
    eos_token: addedToken(END_OF_TEXT),
    pad_token: END_OF_TEXT,
    unk_token: addedToken(END_OF_TEXT),
  });
}
