// Compiles contracts/src/*.sol with the pinned solcjs into contracts/artifacts/<Name>.abi|.bin.
// `node build.mjs --check` recompiles and exits 1 if any committed artifact differs (reproducibility).
// solc is taken from $TOOLS_DIR/node_modules/solc (default <repo>/tools).
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const toolsDir = resolve(process.env.TOOLS_DIR || join(here, '..', 'tools'));
const solcPath = join(toolsDir, 'node_modules', 'solc');
if (!existsSync(solcPath)) {
  console.error(`solc not found at ${solcPath}: run bin/install-tools or set TOOLS_DIR`);
  process.exit(2);
}
const solc = createRequire(import.meta.url)(solcPath);
const EXPECTED_VERSION = '0.8.28';
if (!solc.version().startsWith(EXPECTED_VERSION + '+')) {
  console.error(`expected solc ${EXPECTED_VERSION}, found ${solc.version()}`);
  process.exit(2);
}

const srcDir = join(here, 'src');
const sources = {};
for (const f of readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort()) {
  sources[f] = { content: readFileSync(join(srcDir, f), 'utf8') };
}
// Deterministic settings: fixed file keys, no metadata hash (no source paths or IPFS hashes in the bytes),
// "shanghai" so the code runs on Besu and anvil alike.
const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'shanghai',
    viaIR: true,
    metadata: { bytecodeHash: 'none', appendCBOR: false },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);

const check = process.argv.includes('--check');
const outDir = join(here, 'artifacts');
mkdirSync(outDir, { recursive: true });
let differs = 0;
for (const file of Object.keys(output.contracts).sort()) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    const files = {
      [`${name}.abi`]: JSON.stringify(c.abi) + '\n',
      [`${name}.bin`]: c.evm.bytecode.object, // no newline: web3j embeds the file verbatim
    };
    for (const [fname, text] of Object.entries(files)) {
      const path = join(outDir, fname);
      if (check) {
        const committed = existsSync(path) ? readFileSync(path, 'utf8') : null;
        if (committed !== text) {
          console.error(`DIFFERS: artifacts/${fname} is not what solc ${solc.version()} produces from src/`);
          differs++;
        }
      } else {
        writeFileSync(path, text);
      }
    }
  }
}
if (check) {
  if (differs) process.exit(1);
  console.log('artifacts are reproducible');
} else {
  console.log(`wrote artifacts with solc ${solc.version()}`);
}
