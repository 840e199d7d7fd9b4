// `npm run sql -- [options] [SQL ...]`: the main job on one machine. Installs the
// built UDFs with install.sh into .cache/sql/, opens embedded ClickHouse (chDB)
// with them and runs the SQL. The database in .cache/sql/data persists, so
// tables made in one run are there in the next.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Session } from 'chdb';
import { downloadModel } from '../model/download.ts';
import { generateClipModel } from '../modelgen/index.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CACHE = join(ROOT, '.cache');
// The repo's own test photos, readable by encode_image in the demo.
const IMAGES = join(ROOT, 'test/fixtures/images');
const PHOTO = join(IMAGES, 'jpeg_1000x600.jpg');

const DEMO = [
  "SELECT length(encode_text('a photo of a cat')) AS dims, round(L2Norm(encode_text('a photo of a cat')), 4) AS norm, arraySlice(encode_text('a photo of a cat'), 1, 4) AS first_values",
  `CREATE OR REPLACE TABLE demo_captions (caption String, embedding Array(Float32)) ENGINE = MergeTree ORDER BY caption AS
   SELECT caption, encode_text(caption) FROM (SELECT arrayJoin(['a photo of a cat', 'a cat sleeping on a sofa', 'a red sports car', 'a bowl of ramen', 'a dog playing in the snow']) AS caption)`,
  `SELECT caption, round(L2Distance(embedding, encode_text('a photo of a kitten')), 4) AS distance FROM demo_captions ORDER BY distance LIMIT 3`,
  `SELECT encode_image_check('${PHOTO}') AS problem, length(encode_image('${PHOTO}')) AS dims,
     (SELECT caption FROM demo_captions ORDER BY L2Distance(embedding, encode_image('${PHOTO}')) LIMIT 1) AS nearest_caption`,
];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'model-dir': { type: 'string', default: process.env.CLIP_MODEL_DIR },
    model: { type: 'string', default: 'Xenova/clip-vit-base-patch32' },
    'hub-url': { type: 'string', default: process.env.HF_ENDPOINT ?? 'https://huggingface.co' },
    type: { type: 'string', default: 'executable_pool' },
    format: { type: 'string', default: 'PrettyCompactMonoBlock' },
    'work-dir': { type: 'string', default: join(CACHE, 'sql') },
  },
});

const say = (line: string) => process.stderr.write(`${line}\n`);

async function modelDir(): Promise<string> {
  if (values['model-dir']) return resolve(values['model-dir']);
  const dir = join(CACHE, 'models', values.model);
  try {
    await downloadModel({ model: values.model, outDir: dir, hubUrl: values['hub-url'], revision: 'main', dtype: 'fp32', log: say });
    return dir;
  } catch (err) {
    // Offline machines still get to see the whole path work, with a loud label.
    const random = join(CACHE, 'models', 'random-clip-tiny');
    say(`\nWARNING: could not download ${values.model}: ${(err as Error).message}`);
    say('WARNING: using a seeded RANDOM-WEIGHT CLIP instead: the plumbing is real, the vectors mean nothing.');
    say('WARNING: pass --model-dir DIR (or CLIP_MODEL_DIR) with a real model folder for real embeddings.\n');
    if (!existsSync(join(random, 'config.json'))) await generateClipModel(random, { size: 'tiny', seed: 1 });
    return random;
  }
}

const model = await modelDir();
const base = resolve(values['work-dir']);
const scriptsDir = join(base, 'user_scripts');
const configDir = join(base, 'config');
const userFiles = join(base, 'user_files');
mkdirSync(userFiles, { recursive: true });
execFileSync('bash', [
  join(ROOT, 'install.sh'),
  ...['--scripts-dir', scriptsDir, '--config-dir', configDir, '--user-files-dir', userFiles, '--allow-dir', IMAGES],
  ...['--model-dir', model, '--type', values.type],
], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
say(`clickhouse-clip installed in ${scriptsDir} (model ${model}); encode_image reads ${userFiles} and ${IMAGES}`);

const session = new Session(join(base, 'data'), {
  connectionArgs: [`--user_scripts_path=${scriptsDir}`, `--user_defined_executable_functions_config=${configDir}/*_function.xml`],
});
try {
  for (const sql of positionals.length > 0 ? positionals : DEMO) {
    say(`\n${sql.replace(/\s+/g, ' ')}`);
    process.stdout.write(session.query(sql, values.format));
  }
} catch (err) {
  say(`\n${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  session.close();
}
