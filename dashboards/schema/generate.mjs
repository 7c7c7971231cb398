// Generates the JSON Schemas that GridSweep's dashboards are validated against, from Grafana's own
// published schema package (@grafana/schema, pinned in package.json and package-lock.json).
//
// The package ships TypeScript declarations generated from Grafana's CUE kinds, and no JSON or CUE
// artefacts, so its types are turned into JSON Schema (draft-07) with ts-json-schema-generator:
//
//   generated/dashboard.schema.json    the classic dashboard JSON model (type Dashboard of raw/dashboard/x),
//                                      what file provisioning reads; interfaces are closed, so an unknown
//                                      or misspelt key is an error
//   generated/panels/<type>.schema.json one per panel plugin of the package (raw/composable/*/panelcfg):
//                                      its Options and FieldConfig, placed where a panel holds them
//                                      (panel.options, panel.fieldConfig.defaults.custom)
//   generated/versions.json            the package version, the dashboard schemaVersion it defaults to
//                                      (defaultDashboard.schemaVersion) and each panel plugin's version
//
// Usage: npm ci && node generate.mjs          write the files
//        node generate.mjs --check            compare with the files on disk, exit 1 when they differ
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.join(here, 'node_modules', '@grafana', 'schema');
const types = path.join(packageRoot, 'dist', 'types');
const outDir = path.join(here, 'generated');
const check = process.argv.includes('--check');

if (!fs.existsSync(packageRoot)) {
  console.error(`@grafana/schema is not installed in ${here}: run \`npm ci\` there first`);
  process.exit(2);
}

const pinned = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8')).devDependencies['@grafana/schema'];
const installed = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version;
if (installed !== pinned) {
  console.error(`@grafana/schema ${installed} is installed but package.json pins ${pinned}: run \`npm ci\``);
  process.exit(2);
}

const draft = 'http://json-schema.org/draft-07/schema#';
const idBase = `https://gridsweep.invalid/grafana-schema/${pinned}`;

function generator(file) {
  return createGenerator({
    path: file,
    skipTypeCheck: true, // the package's declarations are compiled already
    expose: 'export',
    topRef: true,
    jsDoc: 'extended',
    additionalProperties: false,
    sortProps: true,
  });
}

/** One schema holding the definitions of several exported types of one declaration file. */
function definitions(file, typeNames) {
  const gen = generator(file);
  const merged = {};
  for (const name of typeNames) {
    const schema = gen.createSchema(name);
    for (const [key, value] of Object.entries(schema.definitions ?? {})) {
      if (key in merged && JSON.stringify(merged[key]) !== JSON.stringify(value))
        throw new Error(`${file}: definition ${key} differs between ${typeNames.join(', ')}`);
      merged[key] = value;
    }
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

const files = new Map();

// The dashboard model.
{
  const defs = definitions(path.join(types, 'raw', 'dashboard', 'x', 'types.gen.d.ts'), ['Dashboard']);
  files.set('dashboard.schema.json', {
    $schema: draft,
    $id: `${idBase}/dashboard.schema.json`,
    title: 'Grafana dashboard',
    description: `Generated from @grafana/schema ${pinned} (dist/types/raw/dashboard/x/types.gen.d.ts, type Dashboard) by dashboards/schema/generate.mjs. Do not edit.`,
    $ref: '#/definitions/Dashboard',
    definitions: defs,
  });
}

// Panel plugins: options and custom field config.
const panelVersions = {};
const skipped = {};
const composable = path.join(types, 'raw', 'composable');
for (const plugin of fs.readdirSync(composable).sort()) {
  const file = path.join(composable, plugin, 'panelcfg', 'x', 'types.gen.d.ts');
  if (!fs.existsSync(file))
    continue; // a data source's query kind, not a panel
  const source = fs.readFileSync(file, 'utf8');
  const exported = (name) => new RegExp(`export (interface|type|declare enum) ${name}\\b`).test(source);
  const names = ['Options', 'FieldConfig'].filter(exported);
  if (names.length === 0)
    continue;
  const version = /export declare const pluginVersion = "([^"]+)"/.exec(source);
  let defs;
  try {
    defs = definitions(file, names);
  } catch (e) {
    // A few plugins declare a type under the same name as one they import from the common types
    // (geomap's MapLayerOptions); JSON Schema definitions need unique names, so they are left out.
    skipped[plugin] = String(e.message).split('\n')[0];
    continue;
  }
  panelVersions[plugin] = version ? version[1] : null;
  const properties = {};
  if (names.includes('Options'))
    properties.options = { $ref: '#/definitions/Options' };
  if (names.includes('FieldConfig')) {
    properties.fieldConfig = {
      type: 'object',
      properties: { defaults: { type: 'object', properties: { custom: { $ref: '#/definitions/FieldConfig' } } } },
    };
  }
  files.set(path.join('panels', `${plugin}.schema.json`), {
    $schema: draft,
    $id: `${idBase}/panels/${plugin}.schema.json`,
    title: `Grafana panel "${plugin}"`,
    description: `A panel of type ${plugin}: its options and fieldConfig.defaults.custom. Generated from @grafana/schema ${pinned} (dist/types/raw/composable/${plugin}/panelcfg/x/types.gen.d.ts) by dashboards/schema/generate.mjs. Do not edit.`,
    type: 'object',
    properties,
    definitions: defs,
  });
}

// The schemaVersion the package's dashboard model defaults to: the current one of this Grafana release.
const { defaultDashboard } = await import(pathToFileURL(path.join(packageRoot, 'dist', 'esm', 'raw', 'dashboard', 'x', 'types.gen.mjs')).href);
if (!Number.isInteger(defaultDashboard?.schemaVersion))
  throw new Error('@grafana/schema has no defaultDashboard.schemaVersion');
files.set('versions.json', {
  package: '@grafana/schema',
  version: pinned,
  schemaVersion: defaultDashboard.schemaVersion,
  panelPluginVersions: panelVersions,
  panelsNotGenerated: skipped,
});

// Write or compare.
const stale = [];
const expected = new Set();
for (const [name, content] of files) {
  const target = path.join(outDir, name);
  const text = JSON.stringify(content, null, 2) + '\n';
  expected.add(path.resolve(target));
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null;
  if (current === text)
    continue;
  if (check) {
    stale.push(`${path.relative(here, target)} ${current === null ? 'is missing' : 'differs'}`);
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    console.log(`wrote ${path.relative(here, target)}`);
  }
}
for (const dir of [outDir, path.join(outDir, 'panels')]) {
  if (!fs.existsSync(dir))
    continue;
  for (const entry of fs.readdirSync(dir)) {
    const full = path.resolve(dir, entry);
    if (entry.endsWith('.json') && !expected.has(full)) {
      if (check)
        stale.push(`${path.relative(here, full)} is not generated any more`);
      else {
        fs.rmSync(full);
        console.log(`removed ${path.relative(here, full)}`);
      }
    }
  }
}
if (check) {
  if (stale.length > 0) {
    console.error(`The generated schemas are not what @grafana/schema ${pinned} gives; run \`node generate.mjs\` in dashboards/schema:\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`generated/ matches @grafana/schema ${pinned} (${files.size} files, schemaVersion ${defaultDashboard.schemaVersion})`);
}
