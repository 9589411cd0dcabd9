#!/usr/bin/env node
// pyrsedis-test-server provision [flavor...] | start [--flavor F] [--falkordb] | sweep [--all]
import { FLAVORS, type Flavor, provision } from './provision.js';
import { startServer } from './server.js';
import { sweep } from './sweep.js';

const [command = 'help', ...rest] = process.argv.slice(2);

async function main(): Promise<void> {
  switch (command) {
    case 'provision': {
      const flavors = rest.length ? (rest as Flavor[]) : FLAVORS;
      const started = Date.now();
      for (const binary of await provision({ flavors, log: (m) => console.log(m) })) {
        const via = binary.launcher.length ? ' (private glibc)' : '';
        console.log(
          `${binary.flavor}: ${binary.server} v${binary.version}${via}${binary.falkordbModule ? ' + FalkorDB' : ''}`,
        );
      }
      console.log(`provisioned in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    case 'start': {
      const flavorAt = rest.indexOf('--flavor');
      const flavor = (flavorAt >= 0 ? rest[flavorAt + 1] : 'redis8') as Flavor;
      const server = await startServer({ flavor, falkordb: rest.includes('--falkordb') });
      console.log(`${server.flavor} ${server.version} at ${server.url} (pid ${server.pid}); Ctrl-C stops it`);
      // A server that dies on its own ends the CLI with an error and its log (it exited 0, silently).
      const watch = setInterval(() => {
        if (server.running) return;
        clearInterval(watch);
        console.error(
          `${server.flavor} on port ${server.port} exited unexpectedly; its log:\n${server.logTail()}`,
        );
        void server.stop().finally(() => process.exit(1));
      }, 250);
      const stop = () => {
        clearInterval(watch);
        void server.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'sweep': {
      const killed = await sweep({ all: rest.includes('--all') });
      if (killed.length) console.log(`sweep: killed leftover servers ${killed.join(', ')}`);
      return;
    }
    default:
      console.log(
        'usage: pyrsedis-test-server provision [redis8|valkey8|redis7 ...] | start [--flavor F] [--falkordb] | sweep [--all]',
      );
      // `help` asks for this; anything else is a mistake the exit code must show.
      if (command !== 'help') process.exitCode = 2;
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
