/**
 * Where a worker thread's script is. Built, a module and its worker sit side by side in dist/.
 * Under the test runner the module is loaded from src/*.ts, which a Worker cannot run: the
 * worker then runs the built copy (tests build first).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `script` (e.g. 'checkpoint-thread.js') beside the module whose import.meta.url is `moduleUrl`. */
export function workerScript(moduleUrl: string, script: string): URL {
  const here = fileURLToPath(moduleUrl);
  if (here.endsWith('.js')) return new URL(`./${script}`, moduleUrl);
  const dir = path.dirname(here);
  const root = path.resolve(dir, '..', '..');
  return new URL(`file://${path.join(root, 'dist', path.relative(root, dir), script)}`);
}
