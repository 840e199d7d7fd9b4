import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixSegment } from "../src/tokenizer/ftfy/fix-segment.ts";
import { fixText } from "../src/tokenizer/index.ts";
import { htmlUnescape } from "../src/tokenizer/html-unescape.ts";
import { pythonLower } from "../src/tokenizer/lowercase.ts";

// Expected values are what Python 3.11 with ftfy 6.3.1 returns.

describe("fixText (ftfy.fix_text)", () => {
  const cases: Array<[string, string]> = [
    // ftfy's own documentation
    ["\u00e2\u0153\u201d No problems", "\u2714 No problems"],
    ["&macr;\\_(\u00e3\u0083\u0084)_/&macr;", "\u00af\\_(\u30c4)_/\u00af"],
    ["Broken text&hellip; it&#x2019;s \ufb02ubberi\ufb01c!", "Broken text\u2026 it's flubberific!"],
    ["\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33", "LOUD NOISES"],
    ["sch\u00c3\u00b6n", "sch\u00f6n"],
    ["voil\u00c3 le travail", "voil\u00e0 le travail"],
    ["\u00c3 la mode", "\u00e0 la mode"],
    ["f\u00c3 cil", "f\u00e0 cil"],
    ["P&EACUTE;REZ", "P\u00c9REZ"],
    ["BUNDESSTRA&SZLIG;E", "BUNDESSTRASSE"],
    ["&ntilde; &Ntilde; &NTILDE; &nTILDE;", "\u00f1 \u00d1 \u00d1 &nTILDE;"],
    ["this&not that", "this&not that"],
    ["&lt;tag&gt;", "<tag>"],
    ["\u001b[36;44mI'm blue\u001b[0m", "I'm blue"],
    ["\ufb02u\ufb03e\ufb06", "fluffiest"],
    ["\uff35\uff80\uff70\uff9d", "U\u30bf\u30fc\u30f3"],
    ["\u201chere\u2019s a test\u201d", "\"here's a test\""],
    ["a\r\nb\rc\u2028d\u2029e\u0085f", "a\nb\nc\nd\ne\u2026f"],
    ["a\u0000b\u007fc\ufeffd", "abcd"],
    ["\u00e2\u20ac\u0153 like this \u00e2\u20ac\ufffd", "\" like this \ufffd"],
    ["\u00c4\u00b0stanbul", "\u0130stanbul"],
    ["\u00c3\u00a2\u00e2\u201a\u00ac\u00c5\u201c Romance\u00c3\u00a2\u00e2\u201a\u00ac\u00c2", "\" Romance\u00e2\u20ac\u00c2"],
    ["\u0080\u0081 \u009d", "\u20ac\u0081 \u009d"],
    ["caf\u00c3\u00a9\r\nna\u00c3\u00afve", "caf\u00e9\nna\u00efve"],
    // HTML: a segment (line) containing "<" and every later one are left escaped
    ["<b>&amp;</b>", "<b>&amp;</b>"],
    ["&amp;\n<br>\n&amp;", "&\n<br>\n&amp;"],
    // quirk: ftfy's UTF-8 decoder lets the segment's final "\n" stand in for a byte
    ["\u00c3\u00a9 \u00c0\n", "\u00e9 "],
    ["\u00c3\u00a9 \u00c0\nx", "\u00e9 x"],
    // not mojibake
    ["Hi guys \u00ed \u00bd\u00ed\u00b8", "Hi guys \u00ed \u00bd\u00ed\u00b8"],
    ["\u0420\u0491\u0420\u0455\u0421\u0402\u0420\u0455\u0420\u0456\u0420\u00b5", "\u0420\u0491\u0420\u0455\u0421\u0402\u0420\u0455\u0420\u0456\u0420\u00b5"],
    ["\ud83d\udca9", "\ud83d\udca9"],
    ["lone \ud800 surrogate", "lone \ufffd surrogate"],
  ];
  for (const [input, expected] of cases) {
    it(`fixes ${JSON.stringify(input)}`, () => {
      expect(fixText(input)).toBe(expected);
    });
  }

  it("matches Python on random hard strings", () => {
    const path = join(import.meta.dirname, "fixtures", "tokenizer", "fuzz-tokens.jsonl");
    const rows = readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { text: string; fixed: string });
    const mismatches = rows.filter((row) => fixText(row.text) !== row.fixed);
    expect(mismatches.map((row) => row.text)).toEqual([]);
  });

  it("takes shortcuts only where they give what the full fixers give", () => {
    // fixText passes runs of plain characters through a per-character mapping; check that
    // against the full fixing of a segment for every UTF-16 code unit
    const differing: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const segment of [ch, `a${ch}b\n`, `${ch}${ch} `]) {
        if (fixText(segment) !== fixSegment(segment, true)) differing.push(`U+${c.toString(16)}`);
      }
    }
    expect(differing).toEqual([]);
  });

  it("fixes each line on its own, lines of a million characters included", () => {
    // ftfy cuts a line longer than 1,000,000 code points into separate segments; a CR LF
    // pair cut apart becomes two line breaks
    const long = "a".repeat(999_999) + "\r\n" + "b";
    expect(fixText(long)).toBe("a".repeat(999_999) + "\n\nb");
    expect(fixText("a".repeat(999_998) + "\r\nb")).toBe("a".repeat(999_998) + "\nb");
  });
});

describe("htmlUnescape (Python's html.unescape)", () => {
  const cases: Array<[string, string]> = [
    ["&amp;", "&"],
    ["&amp", "&"],
    ["&ampfoo;", "&foo;"],
    ["&notit;", "\u00acit;"],
    ["&notin;", "\u2209"],
    ["&#65;&#x41;&#X41", "AAA"],
    ["&#0;&#13;&#128;&#x81;", "\ufffd\r\u20ac\x81"],
    ["&#1;&#xb;&#xfffe;&#x10ffff;", ""],
    ["&#xd800;&#x110000;&#99999999999999999999;", "\ufffd\ufffd\ufffd"],
    ["&unknown; & &# &#x", "&unknown; & &# &#x"],
    ["&amp;amp;", "&amp;"],
  ];
  for (const [input, expected] of cases) {
    it(`unescapes ${JSON.stringify(input)}`, () => {
      expect(htmlUnescape(input)).toBe(expected);
    });
  }
});

describe("pythonLower (Python's str.lower)", () => {
  it("lowers final and medial sigma as Python does", () => {
    expect(pythonLower("ΟΔΥΣΣΕΥΣ")).toBe("οδυσσευς");
    expect(pythonLower("ΑΣ ΑΣ.")).toBe("ας ας.");
    expect(pythonLower("Σ")).toBe("σ");
    expect(pythonLower("ΑΣ\u0301")).toBe("ας\u0301");
    expect(pythonLower("ΑΣ\u0301Β")).toBe("ασ\u0301β");
  });

  it("uses full case mappings", () => {
    expect(pythonLower("İstanbul")).toBe("i\u0307stanbul");
    expect(pythonLower("ſ K")).toBe("ſ k");
  });
});
