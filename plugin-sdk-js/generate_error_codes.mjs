#!/usr/bin/env node
// Writes src/_error_codes.js from the Rust list in error-codes/src/lib.rs.
//
// The host and the Rust SDK read `ACCESS_DENIED` from the `trawl-error-codes`
// crate; the JavaScript SDK carries a generated copy, so all of them classify
// an AWS error code alike. Deterministic: the same Rust file gives the same bytes.
//
//   node plugin-sdk-js/generate_error_codes.mjs           # rewrite
//   node plugin-sdk-js/generate_error_codes.mjs --check   # exit 1 if stale
//   (--rust PATH and --out PATH name other files)

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function accessDenied(rustSource) {
  const found = /pub const ACCESS_DENIED: &\[&str\] = &\[([\s\S]*?)\];/.exec(rustSource);
  if (!found) throw new Error('error-codes/src/lib.rs has no `pub const ACCESS_DENIED: &[&str] = &[...];`');
  const body = found[1].replace(/\/\/[^\n]*/g, '');
  const codes = [...body.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
  if (codes.length === 0) throw new Error('ACCESS_DENIED in error-codes/src/lib.rs is empty');
  return codes;
}

export function render(codes) {
  return [
    '// Generated from error-codes/src/lib.rs by plugin-sdk-js/generate_error_codes.mjs: do not edit.',
    '// AWS error codes meaning "you may not look here": a target meeting one is skipped, not failed.',
    '',
    'export const ACCESS_DENIED = Object.freeze([',
    ...codes.map((c) => `  '${c}',`),
    ']);',
    '',
  ].join('\n');
}

function main(argv) {
  let rust = join(here, '..', 'error-codes', 'src', 'lib.rs');
  let out = join(here, 'src', '_error_codes.js');
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') check = true;
    else if (argv[i] === '--rust') rust = argv[++i];
    else if (argv[i] === '--out') out = argv[++i];
    else {
      console.error(`usage: node generate_error_codes.mjs [--check] [--rust PATH] [--out PATH]`);
      return 2;
    }
  }
  const text = render(accessDenied(readFileSync(rust, 'utf8')));
  if (check) {
    if (!existsSync(out) || readFileSync(out, 'utf8') !== text) {
      console.error(`${out} is stale: run generate_error_codes.mjs`);
      return 1;
    }
    return 0;
  }
  writeFileSync(out, text);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
