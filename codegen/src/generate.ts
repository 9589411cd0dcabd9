// Runs every emitter and writes (or checks) the generated files.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { COMMAND_TABLE_FILE, emitCommandTable } from './emit/command-table.js';
import { COMMANDS_FILE, emitCommands } from './emit/commands.js';
import { loadModel } from './model.js';

/** The generated files: repository-relative path → content. */
export function generateFiles(root: string): Map<string, string> {
  const model = loadModel(path.join(root, 'commands.json'));
  return new Map([
    [COMMAND_TABLE_FILE, emitCommandTable(model)],
    [COMMANDS_FILE, emitCommands(model).source],
  ]);
}

/** Writes the generated files under `outDir` (the repository root, or a temp dir for the drift test). */
export async function writeGenerated(root: string, outDir: string = root): Promise<string[]> {
  const written: string[] = [];
  for (const [file, content] of generateFiles(root)) {
    const target = path.join(outDir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    written.push(file);
  }
  return written;
}

/** Files whose committed content differs from what the generator makes now. */
export async function staleFiles(root: string): Promise<string[]> {
  const stale: string[] = [];
  for (const [file, content] of generateFiles(root)) {
    const committed = await readFile(path.join(root, file), 'utf8').catch(() => '');
    if (committed !== content) stale.push(file);
  }
  return stale;
}
