/**
 * Runs trunkline's CLI from source (through tsx) the way bin/trunkline.js runs the compiled one:
 *   node --import tsx bench/lib/trunkline-launcher.ts serve --data DIR --http-port P --sip-port S
 * Importing `main` (rather than running src/cli/main.ts as a script) works whether or not main.ts also
 * starts itself when run directly. The import is dynamic so the benches type-check while the CLI is absent.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const mainTs = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
if (!existsSync(mainTs)) {
  console.error(`trunkline CLI not available yet: ${mainTs} does not exist`);
  process.exit(3);
}
const { main } = (await import(pathToFileURL(mainTs).href)) as { main: (argv: string[]) => Promise<unknown> };

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
