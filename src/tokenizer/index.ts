export { CONTEXT_LENGTH, createClipTokenizer, loadClipTokenizer, type ClipTokenizer } from "./tokenizer.ts";
export {
  clipVocabFromOpenAiMerges,
  clipVocabFromTokenizerJson,
  readClipVocab,
  type ClipVocab,
} from "./vocab.ts";
export { fixText } from "./ftfy/fix-text.ts";
