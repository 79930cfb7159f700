import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first (docs/DESIGN.md, "Layers"): a module imports only from its own layer and the
 * layers before it. Enforced below with ESLint's own no-restricted-imports, per layer folder, on the import text: a
 * relative import that climbs out of the folder into a later layer is an error.
 */
const LAYERS = ['util', 'scenario', 'fleet', 'generator', 'emit', 'stream', 'warehouse', 'stage', 'sinks', 'validate', 'calibrate', 'ddl', 'jobs', 'pipeline', 'verify', 'server', 'cli'];

/** The client libraries of the networked sinks: used only inside their sink's folder (and by verify, which reads back). */
const SINK_CLIENTS = {
  pg: ['sinks/postgres', 'verify'],
  'pg-copy-streams': ['sinks/postgres', 'verify'],
  mqtt: ['sinks/mqtt'],
  '@nats-io/jetstream': ['sinks/nats'],
  '@nats-io/transport-node': ['sinks/nats'],
  '@redis/client': ['sinks/redis'],
  'snowflake-sdk': ['sinks/snowflake'],
  // The exchange formats' XML reader (Green Button read-back; CIM XML may use it too).
  'fast-xml-parser': ['sinks/formats'],
};

function layerRules(layer, index) {
  const later = LAYERS.slice(index + 1);
  const patterns = later.length === 0 ? [] : [{ regex: `^(\\.\\./)+(${later.join('|')})/`, message: `${layer}/ is below ${later.join(', ')}: imports point down the layers (docs/DESIGN.md)` }];
  return { files: [`src/${layer}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns, paths: clientPaths(layer) }] } };
}

/** The sink clients a folder may not import. */
function clientPaths(folder) {
  return Object.entries(SINK_CLIENTS)
    .filter(([, owners]) => !owners.some((owner) => folder === owner || folder.startsWith(`${owner}/`)))
    .map(([name, owners]) => ({ name, message: `${name} is used only in src/${owners[0]}/ (one folder per sink)` }));
}

/** Inside a sink's folder: no other sink's folder (a sink never imports another), and only its own client library. */
const sinkFolders = ['duckdb', 'files', 'formats', 'mqtt', 'nats', 'postgres', 'redis', 'snowflake', 'stage', 'stdout'].map((sink) => ({
  files: [`src/sinks/${sink}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: `^\\.\\./(?!${sink}/)[a-z-]+/`, message: 'a sink never imports another sink; shared plumbing lives in src/sinks/*.ts' },
          { regex: `^(\\.\\./){2,}(${LAYERS.slice(LAYERS.indexOf('sinks') + 1).join('|')})/`, message: 'sinks/ is below validate, jobs and the rest: imports point down the layers (docs/DESIGN.md)' },
        ],
        paths: clientPaths(`sinks/${sink}`),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'scratch/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: globals.node } },
  {
    rules: {
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'All randomness comes from src/util/random.ts (determinism invariant).' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...LAYERS.map(layerRules),
  ...sinkFolders,
);
