// Downloads a CLIP model from a Hugging Face-style hub into a local folder in
// transformers.js layout, through the hub's own resolve URLs
// (HOST/MODEL/resolve/REVISION/FILE). The UDFs then load it with the network off.

import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { towerFile } from './files.ts';
import type { Dtype } from '../options.ts';

export interface DownloadOptions {
  model: string;
  outDir: string;
  hubUrl: string;
  revision: string;
  dtype: Dtype;
  log: (line: string) => void;
}

const METADATA = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'preprocessor_config.json'];
// Optional upstream: a model without them still loads.
const OPTIONAL = new Set(['special_tokens_map.json', 'preprocessor_config.json', 'tokenizer_config.json']);

export function modelFiles(dtype: Dtype): string[] {
  return [...METADATA, towerFile('', 'text', dtype), towerFile('', 'vision', dtype)];
}

export async function downloadModel(options: DownloadOptions): Promise<void> {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(options.model)) {
    throw new Error(`Expected a hub model id like Xenova/clip-vit-base-patch32 for --model but received '${options.model}'`);
  }
  for (const file of modelFiles(options.dtype)) {
    const target = join(options.outDir, file);
    // Files are renamed into place only when complete, so an existing one is whole.
    if (existsSync(target)) continue;
    const url = `${options.hubUrl.replace(/\/+$/, '')}/${options.model}/resolve/${encodeURIComponent(options.revision)}/${file}`;
    const fetched = await fetchFile(url, target);
    if (fetched === 'missing') {
      if (OPTIONAL.has(file)) continue;
      throw new Error(`${url} answered 404: is ${options.model} a CLIP model in transformers.js layout with ${file}?`);
    }
    options.log(`downloaded ${file} (${(fetched / 1e6).toFixed(1)} MB)`);
  }
}

async function fetchFile(url: string, target: string): Promise<number | 'missing'> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', headers: authHeaders() });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (response.status === 404) return 'missing';
  if (!response.ok || response.body === null) throw new Error(`${url} answered ${response.status} ${response.statusText}`);
  mkdirSync(dirname(target), { recursive: true });
  const part = `${target}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(part));
  } catch (err) {
    rmSync(part, { force: true });
    throw new Error(`download of ${url} broke off: ${(err as Error).message}`);
  }
  renameSync(part, target);
  return Number(response.headers.get('content-length') ?? 0);
}

// Gated or private models need the same token the hub's own clients use.
function authHeaders(): Record<string, string> {
  const token = process.env.HF_TOKEN;
  return token ? { authorization: `Bearer ${token}` } : {};
}
