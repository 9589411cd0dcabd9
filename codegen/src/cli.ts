#!/usr/bin/env node
// pyrsedis-codegen spec [--url redis://host:port] [--check]
//   Rebuilds commands.json from the Valkey spec files and a live server. Without --url it starts
//   the harness's Redis 8.2. With --check it fails when the committed file is out of date.
// pyrsedis-codegen generate [--check]
//   Regenerates the TypeScript files from commands.json (or checks they are up to date).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '@pyrsedis/test-server';
import { emitCommands } from './emit/commands.js';
import { staleFiles, writeGenerated } from './generate.js';
import { readLiveServer } from './live.js';
import { loadModel } from './model.js';
import { buildSpec, type CommandsJson } from './spec.js';
import { valkeySpecFiles } from './valkey-source.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const COMMANDS_JSON: string = path.join(root, 'commands.json');

/** Builds the spec, starting a Redis 8.2 when no URL is given. */
export async function generateSpec(url?: string): Promise<CommandsJson> {
  const valkey = await valkeySpecFiles(path.join(root, '.cache', 'pyrsedis'));
  if (url) return buildSpec(valkey, await readLiveServer(url));
  const server = await startServer({ flavor: 'redis8' });
  try {
    return buildSpec(valkey, await readLiveServer(server.url));
  } finally {
    await server.stop();
  }
}

export function serialize(spec: CommandsJson): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'generate') {
    if (rest.includes('--check')) {
      const stale = await staleFiles(root);
      if (stale.length) {
        console.error(`generated files out of date: ${stale.join(', ')}: run npm run codegen`);
        process.exit(1);
      }
      console.log('generated files are up to date');
    } else {
      for (const file of await writeGenerated(root)) console.log(`wrote ${file}`);
      const { exactReplyTypes, total } = emitCommands(loadModel(COMMANDS_JSON));
      console.log(
        `${exactReplyTypes} of ${total} command methods have an exact reply type (from reply_schema)`,
      );
    }
    return;
  }
  if (command !== 'spec') {
    console.log('usage: pyrsedis-codegen spec [--url redis://host:port] [--check] | generate [--check]');
    process.exit(command ? 1 : 0);
  }
  const urlAt = rest.indexOf('--url');
  const spec = await generateSpec(urlAt >= 0 ? rest[urlAt + 1] : undefined);
  const text = serialize(spec);
  const count = Object.keys(spec.commands).length;
  if (rest.includes('--check')) {
    const committed = await readFile(COMMANDS_JSON, 'utf8').catch(() => '');
    if (committed !== text) {
      console.error(`commands.json is out of date with ${spec.sources.redis}: run npm run codegen`);
      process.exit(1);
    }
    console.log(`commands.json is up to date (${count} commands)`);
    return;
  }
  await writeFile(COMMANDS_JSON, text);
  console.log(
    `wrote commands.json: ${count} commands, ${Object.keys(spec.differences).length} differing between servers`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
