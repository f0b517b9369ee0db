#!/usr/bin/env node
// `node build.mjs src/ebs.js -o ebs.wasm`: one command from a JavaScript
// collector to a trawl component.
//
// componentize-js takes one ES module and resolves no imports of its own
// (only `trawl:collector/*` ones, which are the component's), so this script
// first bundles the entry with esbuild: the SDK that this script belongs to
// (`trawl-sdk`, whatever copy the app's node_modules holds) and every other
// import go into one file, led by the SDK's component-host module that links
// the SDK to the component's imports. It checks that bundle natively (imports
// it and reads `info()`), so a mistake shows as a Node stack trace in a
// second, then runs the componentize-js 0.23.0 CLI with the SDK's own WIT
// (world `collector`). No WASI feature is disabled: clocks, random and
// stdio work; the host links wasi:http but refuses every request.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const WIT = join(here, 'wit');
const WORLD = 'collector';

const USAGE = `usage: node build.mjs ENTRY.js [-o OUT.wasm] [--keep-bundle] [--no-check] [-q]

  ENTRY.js       the collector's entry module; it ends with
                 \`export const { plugin, details } = exportCollector(YourCollector);\`
  -o OUT.wasm    the component to write (default: ENTRY.wasm beside the entry)
  --keep-bundle  also write the bundled JavaScript beside the component (OUT.bundle.js)
  --no-check     skip importing the bundle natively first
  -q, --quiet    print only errors`;

class BuildError extends Error {}

function parseArgs(argv) {
  const args = { entry: undefined, out: undefined, keepBundle: false, check: true, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-o' || a === '--output') args.out = argv[++i];
    else if (a === '--keep-bundle') args.keepBundle = true;
    else if (a === '--no-check') args.check = false;
    else if (a === '-q' || a === '--quiet') args.quiet = true;
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (!a.startsWith('-') && args.entry === undefined) args.entry = a;
    else throw new BuildError(`unexpected argument ${a}\n${USAGE}`);
  }
  if (!args.entry) throw new BuildError(USAGE);
  return args;
}

async function bundle(esbuild, entry, outfile, forComponent) {
  const sdk = (name) => join(here, 'src', name);
  const lines = [];
  if (forComponent) lines.push(`import ${JSON.stringify(sdk('component-host.js'))};`);
  lines.push(`export * from ${JSON.stringify(entry)};`);
  try {
    await esbuild.build({
      stdin: { contents: lines.join('\n'), resolveDir: dirname(entry), sourcefile: 'trawl-entry.js', loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      outfile,
      external: ['trawl:*'],
      alias: { 'trawl-sdk': sdk('index.js'), 'trawl-sdk/testing': sdk('testing.js') },
      keepNames: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (e) {
    const messages = (e.errors ?? []).map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`);
    throw new BuildError(`bundling ${relative(process.cwd(), entry)} failed:\n  ${messages.join('\n  ') || e.message}`);
  }
}

async function check(file, entry) {
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    console.error(e);
    throw new BuildError(`${relative(process.cwd(), entry)} does not load (error above)`);
  }
  const exported = mod.plugin?.exported;
  if (!exported || mod.details?.exported !== exported) {
    throw new BuildError(
      `${relative(process.cwd(), entry)} exports no collector: add \`export const { plugin, details } = exportCollector(YourCollector);\``,
    );
  }
  if (exported.error !== undefined) {
    exported.reportInfoError();
    throw new BuildError(`${relative(process.cwd(), entry)}: info() threw (above)`);
  }
  return exported.info;
}

async function main(argv) {
  const args = parseArgs(argv);
  const started = Date.now();
  const entry = resolve(args.entry);
  try {
    statSync(entry);
  } catch {
    throw new BuildError(`${args.entry} does not exist`);
  }
  const out = resolve(args.out ?? join(dirname(entry), `${basename(entry, extname(entry))}.wasm`));
  const esbuild = await import('esbuild');
  const work = mkdtempSync(join(tmpdir(), 'trawl-build-'));
  try {
    const name = `${basename(entry, extname(entry))}.js`;
    if (args.check) {
      const native = join(work, 'native.mjs');
      await bundle(esbuild, entry, native, false);
      const info = await check(native, entry);
      if (!args.quiet) {
        console.log(
          `${info.name} ${info.version} (${info.scope}): ${info.permissions.length} permission(s), ` +
            `${info.columns.length} column(s), ${info.settings.length} setting(s)`,
        );
      }
    }
    // componentize-js maps its working directory to `/` for the build's
    // snapshot: run it in a directory holding only the bundle.
    const bundled = join(work, name);
    await bundle(esbuild, entry, bundled, true);
    const cli = join(dirname(fileURLToPath(import.meta.resolve('@bytecodealliance/componentize-js'))), 'cli.js');
    const tmpOut = join(work, 'out.wasm');
    const run = spawnSync(
      process.execPath,
      [cli, name, '--wit', WIT, '--world-name', WORLD, '-o', tmpOut],
      { cwd: work, stdio: ['ignore', args.quiet ? 'ignore' : 'inherit', 'inherit'] },
    );
    if (run.status !== 0) throw new BuildError(`componentize-js failed (exit status ${run.status ?? run.signal})`);
    try {
      statSync(tmpOut);
    } catch {
      throw new BuildError('componentize-js wrote no component (error above)');
    }
    mkdirSync(dirname(out), { recursive: true });
    copyFileSync(tmpOut, out);
    if (args.keepBundle) copyFileSync(bundled, out.replace(/\.wasm$/, '') + '.bundle.js');
    if (!args.quiet) {
      const mb = (statSync(out).size / 1e6).toFixed(1);
      console.log(`wrote ${relative(process.cwd(), out)} (${mb} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof BuildError) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
