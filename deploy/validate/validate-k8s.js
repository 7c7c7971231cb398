#!/usr/bin/env node
// Offline validation of deploy/k8s, run by tests/Deploy.Tests (install the pinned packages first:
// `npm ci --prefix deploy/validate`).
//
//   node deploy/validate/validate-k8s.js [K8S_DIR]
//
// 1. Every object of every manifest is validated against the Kubernetes OpenAPI schema that
//    kubernetes-models ships (its class's validate()), and, as the API server's strict field validation
//    does, every field must be one the schema knows (the schema alone lets unknown fields through).
// 2. kustomization.yaml lists every manifest but the templates, and only files that exist.
// 3. The objects fit together: selectors, volumes, ports, Secret and ConfigMap keys, $(VAR) references,
//    service accounts, the Akka cluster's addresses (each seed node is the stable DNS name of a
//    StatefulSet pod behind a headless Service, at the port that pod listens on, and that pod calls
//    itself by the same name), and a PostgreSQL ledger (--ledger: a Service here, at one of its ports,
//    no password in the URL; --ledger-password-file: a file of a mounted Secret volume).
// Prints one line per object and exits 0, or prints every problem found and exits 1.
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

// Manifests that are in the folder but not applied by kustomization.yaml.
const TEMPLATES = ["secret.example.yaml"];
// ConfigMaps made by configmaps.sh from files outside deploy/k8s (kustomize cannot read those).
const CONFIGMAP_SCRIPT = "configmaps.sh";
const AKKA_SYSTEM = "gridsweep";

const modelsRoot = path.join(__dirname, "node_modules");
const k8sDir = path.resolve(process.argv[2] || path.join(__dirname, "..", "k8s"));
const errors = [];
const fail = (where, message) => errors.push(`${where}: ${message}`);

// ---------------------------------------------------------------- schema: kubernetes-models
function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  try {
    const module = require(path.join(modelsRoot, "kubernetes-models", apiVersion, kind));
    return module[kind] || null;
  } catch {
    return null;
  }
}

// The schema's field names, read from the TypeScript declarations kubernetes-models generates from the
// same OpenAPI document: one interface per file, nested types either imported from their own file or
// written inline (Array<{ ... }>), maps as { [key: string]: T }.
const declarations = new Map();
function declaration(file) {
  if (declarations.has(file)) return declarations.get(file);
  let result = null;
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, "utf8");
    const imports = new Map();
    for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
      const spec = m[2];
      const target = spec.startsWith(".") ? path.resolve(path.dirname(file), spec) : path.join(modelsRoot, spec);
      imports.set(m[1], target + ".d.ts");
    }
    const head = text.match(/^export interface (\w+)(?: extends ([\w, ]+))? \{$/m);
    if (head) {
      const lines = text.slice(head.index + head[0].length).split("\n").filter((l) => {
        const t = l.trim();
        return t !== "" && !t.startsWith("/**") && !t.startsWith("*");
      });
      const { props } = parseBlock(lines, 0, 4, imports);
      if (head[2] && head[2].split(",").map((s) => s.trim()).includes("TypeMeta")) {
        props.set("apiVersion", null);
        props.set("kind", null);
      }
      result = { name: head[1].replace(/^I/, ""), props };
    }
  }
  declarations.set(file, result);
  return result;
}

// Properties written at `indent` spaces from lines[start] to the closing brace four spaces less.
// Each property maps to how its value is checked: null (a scalar, or nothing to look into) or
// { shape: "object" | "array" | "map", type: () => declaration-like { name, props } }.
function parseBlock(lines, start, indent, imports) {
  const props = new Map();
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    const lead = line.length - line.trimStart().length;
    if (lead < indent) return { props, end: i };
    const m = lead === indent ? line.match(/^\s*"([^"]+)"\??: (.*)$/) : null;
    if (!m) {
      i++;
      continue;
    }
    const [, name, rest] = m;
    if (rest.endsWith("{")) {
      const map = lines[i + 1] && lines[i + 1].trim().match(/^\[key: string\]: (\w+);$/);
      if (map) {
        props.set(name, refTo("map", map[1], imports));
        i += 2;
        while (i < lines.length && lines[i].length - lines[i].trimStart().length > indent) i++;
        i++;
        continue;
      }
      const inner = parseBlock(lines, i + 1, indent + 4, imports);
      const inline = { name, props: inner.props };
      props.set(name, { shape: rest.startsWith("Array<") ? "array" : "object", type: () => inline });
      i = inner.end + 1;
      continue;
    }
    let t = rest.match(/^Array<(\w+)>;$/);
    if (t) props.set(name, refTo("array", t[1], imports));
    else if ((t = rest.match(/^(\w+);$/))) props.set(name, refTo("object", t[1], imports));
    else props.set(name, null);
    i++;
  }
  return { props, end: i };
}

function refTo(shape, typeName, imports) {
  if (!imports.has(typeName)) return null;
  const file = imports.get(typeName);
  return { shape, type: () => declaration(file) };
}

function checkKnownFields(value, decl, where) {
  if (!decl || value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (!decl.props.has(key)) {
      fail(`${where}.${key}`, `unknown field (${decl.name} has ${[...decl.props.keys()].join(", ")})`);
      continue;
    }
    const nested = decl.props.get(key);
    if (!nested) continue;
    if (nested.shape === "array" && Array.isArray(child))
      child.forEach((item, i) => checkKnownFields(item, nested.type(), `${where}.${key}[${i}]`));
    else if (nested.shape === "map" && child && typeof child === "object")
      for (const [k, v] of Object.entries(child)) checkKnownFields(v, nested.type(), `${where}.${key}.${k}`);
    else if (nested.shape === "object") checkKnownFields(child, nested.type(), `${where}.${key}`);
  }
}

// ---------------------------------------------------------------- reading the folder
function readYaml(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { prettyErrors: true });
  const values = [];
  docs.forEach((doc, i) => {
    for (const e of doc.errors) fail(`${path.basename(file)} document ${i + 1}`, `YAML: ${e.message}`);
    if (doc.errors.length === 0) {
      const value = doc.toJS();
      if (value !== null && value !== undefined) values.push(value);
    }
  });
  return values;
}

const kustomizationFile = path.join(k8sDir, "kustomization.yaml");
if (!fs.existsSync(kustomizationFile)) {
  console.error(`${kustomizationFile}: missing`);
  process.exit(1);
}
const kustomization = readYaml(kustomizationFile)[0] || {};
const namespace = kustomization.namespace;
if (kustomization.apiVersion !== "kustomize.config.k8s.io/v1beta1" || kustomization.kind !== "Kustomization")
  fail("kustomization.yaml", "apiVersion/kind must be kustomize.config.k8s.io/v1beta1 Kustomization");
if (typeof namespace !== "string" || !namespace) fail("kustomization.yaml", "no namespace");
const resources = Array.isArray(kustomization.resources) ? kustomization.resources : [];
for (const r of resources)
  if (!fs.existsSync(path.join(k8sDir, r))) fail("kustomization.yaml", `resource ${r} does not exist`);
const manifestFiles = fs.readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort();
for (const f of manifestFiles)
  if (!resources.includes(f) && !TEMPLATES.includes(f))
    fail("kustomization.yaml", `${f} is neither in resources nor a known template (${TEMPLATES.join(", ")})`);
for (const t of TEMPLATES)
  if (!fs.existsSync(path.join(k8sDir, t))) fail(t, "template missing");
const imageNames = new Set((kustomization.images || []).map((i) => i.name));

// ConfigMaps made by the script: name -> keys (null: any key, from a whole folder).
const externalConfigMaps = new Map();
const scriptFile = path.join(k8sDir, CONFIGMAP_SCRIPT);
if (fs.existsSync(scriptFile)) {
  for (const m of fs.readFileSync(scriptFile, "utf8").matchAll(/^apply_configmap ([a-z0-9-]+) (.*)$/gm)) {
    const keys = [];
    let anyKey = false;
    for (const f of m[2].matchAll(/--from-file=(?:([\w.-]+)=)?(\S+)/g)) {
      if (f[1]) keys.push(f[1]);
      else if (f[2].endsWith("/")) anyKey = true;
      else keys.push(path.basename(f[2]));
    }
    externalConfigMaps.set(m[1], anyKey ? null : keys);
  }
}

// ---------------------------------------------------------------- validate every object
const objects = [];
for (const file of manifestFiles) {
  readYaml(path.join(k8sDir, file)).forEach((obj, i) => {
    const where = `${file}: ${obj.kind || "?"}/${(obj.metadata && obj.metadata.name) || `document ${i + 1}`}`;
    const Model = modelClass(obj.apiVersion, obj.kind);
    if (!Model) {
      fail(where, `no schema for apiVersion ${obj.apiVersion} kind ${obj.kind}`);
      return;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      fail(where, `schema: ${e.message}`);
    }
    checkKnownFields(obj, declaration(path.join(modelsRoot, "kubernetes-models", obj.apiVersion, `${obj.kind}.d.ts`)), where);
    if (obj.metadata && obj.metadata.namespace && obj.metadata.namespace !== namespace)
      fail(where, `namespace ${obj.metadata.namespace} is not the kustomization's ${namespace}`);
    objects.push({ file, where, obj, template: TEMPLATES.includes(file) });
  });
}

// ---------------------------------------------------------------- how the objects fit together
const byKind = (kind) => objects.filter((o) => o.obj.kind === kind);
const named = (kind, name) => byKind(kind).find((o) => o.obj.metadata.name === name);
const workloads = objects.filter((o) => ["StatefulSet", "Deployment"].includes(o.obj.kind));
const labelsMatch = (selector, labels) =>
  Object.entries(selector || {}).every(([k, v]) => labels && labels[k] === v);

function checkKeyRef(where, ref, kind) {
  if (!ref) return;
  if (kind === "Secret") {
    const secret = named("Secret", ref.name);
    if (!secret) return fail(where, `Secret ${ref.name} is defined by no manifest or template`);
    const keys = Object.keys({ ...(secret.obj.data || {}), ...(secret.obj.stringData || {}) });
    if (!keys.includes(ref.key)) fail(where, `Secret ${ref.name} has no key ${ref.key} (has ${keys.join(", ")})`);
    return;
  }
  const cm = named("ConfigMap", ref.name);
  if (cm) {
    const keys = Object.keys(cm.obj.data || {});
    if (!keys.includes(ref.key)) fail(where, `ConfigMap ${ref.name} has no key ${ref.key} (has ${keys.join(", ")})`);
  } else if (externalConfigMaps.has(ref.name)) {
    const keys = externalConfigMaps.get(ref.name);
    if (keys && !keys.includes(ref.key)) fail(where, `ConfigMap ${ref.name} (${CONFIGMAP_SCRIPT}) has no key ${ref.key}`);
  } else fail(where, `ConfigMap ${ref.name} is made by no manifest nor ${CONFIGMAP_SCRIPT}`);
}

function variableReferences(text) {
  return [...String(text).replace(/\$\$\(/g, "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]);
}

function flagValue(args, flag) {
  const i = (args || []).indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

// Every value of a repeatable flag (--seed-node A --seed-node B).
function flagValues(args, flag) {
  return (args || []).flatMap((a, i, all) => (a === flag && i + 1 < all.length ? [all[i + 1]] : []));
}

function envValue(container, name) {
  const e = (container.env || []).find((x) => x.name === name);
  return e ? e.value : undefined;
}

const clusterContainers = [];
for (const w of workloads) {
  const spec = w.obj.spec || {};
  const pod = (spec.template && spec.template.spec) || {};
  const labels = (spec.template && spec.template.metadata && spec.template.metadata.labels) || {};
  if (!labelsMatch(spec.selector && spec.selector.matchLabels, labels))
    fail(w.where, "selector.matchLabels does not match the pod template's labels");
  if (pod.serviceAccountName && !named("ServiceAccount", pod.serviceAccountName))
    fail(w.where, `ServiceAccount ${pod.serviceAccountName} is defined nowhere`);
  if (w.obj.kind === "StatefulSet" && !named("Service", spec.serviceName))
    fail(w.where, `serviceName ${spec.serviceName} is no Service here`);

  const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
  for (const t of spec.volumeClaimTemplates || []) volumes.set(t.metadata.name, t);
  const mounted = new Set();
  for (const c of [...(pod.initContainers || []), ...(pod.containers || [])]) {
    const cw = `${w.where} container ${c.name}`;
    for (const m of c.volumeMounts || []) {
      mounted.add(m.name);
      if (!volumes.has(m.name)) fail(cw, `mounts volume ${m.name}, which is not declared`);
    }
    const defined = [];
    for (const e of c.env || []) {
      for (const v of variableReferences(e.value || ""))
        if (!defined.includes(v)) fail(`${cw} env ${e.name}`, `$(${v}) is not an env var defined before it`);
      defined.push(e.name);
      if (e.valueFrom) {
        checkKeyRef(`${cw} env ${e.name}`, e.valueFrom.secretKeyRef, "Secret");
        checkKeyRef(`${cw} env ${e.name}`, e.valueFrom.configMapKeyRef, "ConfigMap");
      }
    }
    for (const a of [...(c.command || []), ...(c.args || [])])
      for (const v of variableReferences(a))
        if (!defined.includes(v)) fail(`${cw} args`, `$(${v}) is not one of the container's env vars`);
    const portNames = new Set((c.ports || []).map((p) => p.name).filter(Boolean));
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      const p = c[probe];
      const port = p && ((p.tcpSocket && p.tcpSocket.port) || (p.httpGet && p.httpGet.port));
      if (typeof port === "string" && !portNames.has(port)) fail(`${cw} ${probe}`, `port ${port} is not a named container port`);
    }
    const image = String(c.image || "").replace(/[:@].*$/, "");
    if (image.startsWith("gridsweep/") && !imageNames.has(image))
      fail(cw, `image ${image} has no entry in kustomization.yaml images (so it cannot be pointed at a registry)`);
    const devices = envValue(c, "GridSweep__Trainer__Devices") || flagValue(c.args, "--devices");
    if (devices && /cuda/.test(devices)) {
      const gpus = Number(((c.resources || {}).limits || {})["nvidia.com/gpu"] || 0);
      const wanted = devices.split(",").length;
      if (gpus < wanted) fail(cw, `devices ${devices} need nvidia.com/gpu: ${wanted} in resources.limits (has ${gpus})`);
    }
    clusterContainers.push({ w, c, cw });
  }
  for (const name of volumes.keys()) if (!mounted.has(name)) fail(w.where, `volume ${name} is declared but never mounted`);
  for (const v of pod.volumes || []) {
    if (v.configMap && !named("ConfigMap", v.configMap.name) && !externalConfigMaps.has(v.configMap.name))
      fail(`${w.where} volume ${v.name}`, `ConfigMap ${v.configMap.name} is made by no manifest nor ${CONFIGMAP_SCRIPT}`);
    if (v.secret) {
      if (!named("Secret", v.secret.secretName))
        fail(`${w.where} volume ${v.name}`, `Secret ${v.secret.secretName} is defined by no manifest or template`);
      for (const item of v.secret.items || [])
        checkKeyRef(`${w.where} volume ${v.name}`, { name: v.secret.secretName, key: item.key }, "Secret");
    }
    if (v.configMap)
      for (const item of v.configMap.items || [])
        checkKeyRef(`${w.where} volume ${v.name}`, { name: v.configMap.name, key: item.key }, "ConfigMap");
  }
}

for (const s of byKind("Service")) {
  const selector = (s.obj.spec || {}).selector;
  const targets = workloads.filter((w) => labelsMatch(selector, w.obj.spec.template.metadata.labels));
  if (!selector || targets.length === 0) {
    fail(s.where, "its selector matches no workload's pods");
    continue;
  }
  for (const p of s.obj.spec.ports || []) {
    const target = p.targetPort === undefined ? p.port : p.targetPort;
    const found = targets.some((w) =>
      w.obj.spec.template.spec.containers.some((c) =>
        (c.ports || []).some((cp) => (typeof target === "string" ? cp.name === target : cp.containerPort === target))));
    if (!found) fail(`${s.where} port ${p.name || p.port}`, `targetPort ${target} is no port of the pods it selects`);
  }
}

// The Akka cluster: seed nodes must be exactly the address the seed calls itself.
const dnsPattern = /^(.+)-(\d+)\.([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/;
const expand = (text) => String(text).replace(/\$\(POD_NAMESPACE\)/g, namespace);
let seedCount = 0;
for (const { c, cw } of clusterContainers) {
  const seeds = (c.env || []).filter((e) => /^GridSweep__Cluster__SeedNodes__\d+$/.test(e.name)).map((e) => e.value);
  seeds.push(...flagValues(c.args, "--seed-node"));
  for (const seed of seeds) {
    seedCount++;
    const m = expand(seed).match(/^akka\.(?:ssl\.)?tcp:\/\/([^@]+)@([^:]+):(\d+)$/);
    if (!m) {
      fail(cw, `seed node ${seed} is not akka.ssl.tcp://${AKKA_SYSTEM}@HOST:PORT (or akka.tcp)`);
      continue;
    }
    const [, system, host, port] = m;
    if (system !== AKKA_SYSTEM) fail(cw, `seed node ${seed}: actor system ${system}, the app's is ${AKKA_SYSTEM}`);
    const dns = host.match(dnsPattern);
    if (!dns) {
      fail(cw, `seed node ${seed}: ${host} is not a StatefulSet pod's name <set>-<n>.<service>.<namespace>.svc.cluster.local`);
      continue;
    }
    const [, setName, ordinal, serviceName, ns] = dns;
    if (ns !== namespace) fail(cw, `seed node ${seed}: namespace ${ns}, the manifests' is ${namespace}`);
    const set = named("StatefulSet", setName);
    if (!set) {
      fail(cw, `seed node ${seed}: no StatefulSet ${setName}`);
      continue;
    }
    if (set.obj.spec.serviceName !== serviceName)
      fail(cw, `seed node ${seed}: StatefulSet ${setName}'s serviceName is ${set.obj.spec.serviceName}, not ${serviceName}`);
    if ((set.obj.spec.replicas ?? 1) <= Number(ordinal))
      fail(cw, `seed node ${seed}: StatefulSet ${setName} has ${set.obj.spec.replicas ?? 1} replicas, no pod ${ordinal}`);
    const service = named("Service", serviceName);
    if (service && service.obj.spec.clusterIP !== "None") fail(cw, `seed node ${seed}: Service ${serviceName} is not headless (clusterIP: None)`);
    if (service && service.obj.spec.publishNotReadyAddresses !== true)
      fail(cw, `seed node ${seed}: Service ${serviceName} must publish not-ready addresses, or the cluster cannot form before readiness`);
    const seedContainer = set.obj.spec.template.spec.containers.find((x) =>
      (x.ports || []).some((p) => String(p.containerPort) === port));
    if (!seedContainer) {
      fail(cw, `seed node ${seed}: no container of ${setName} listens on ${port}`);
      continue;
    }
    const seedPort = flagValue(seedContainer.args, "--port") || envValue(seedContainer, "GridSweep__Cluster__Port");
    if (String(seedPort) !== port) fail(cw, `seed node ${seed}: ${setName} binds port ${seedPort}, not ${port}`);
  }
}
if (seedCount === 0) fail("trainers", "no container names a seed node: nothing would join the coordinator");

// Every pod that names itself by DNS must use its own StatefulSet's headless Service.
for (const { w, c, cw } of clusterContainers) {
  const publicHost = flagValue(c.args, "--public-host") || envValue(c, "GridSweep__Cluster__PublicHost");
  if (publicHost === undefined) continue;
  const expected = `$(POD_NAME).${w.obj.spec.serviceName}.$(POD_NAMESPACE).svc.cluster.local`;
  if (w.obj.kind !== "StatefulSet" || publicHost !== expected)
    fail(cw, `public host ${publicHost} should be ${expected}, the pod's own stable name`);
  const podName = (c.env || []).find((e) => e.name === "POD_NAME");
  if (!podName || !podName.valueFrom || !podName.valueFrom.fieldRef || podName.valueFrom.fieldRef.fieldPath !== "metadata.name")
    fail(cw, "POD_NAME must come from the downward API (fieldRef metadata.name)");
}

// The PostgreSQL ledger: a Service here at a port it has, no password in the URL, the password from a file
// of a mounted Secret volume.
for (const { w, c, cw } of clusterContainers) {
  const ledger = flagValue(c.args, "--ledger");
  if (ledger === undefined || !/^postgres(ql)?:\/\//.test(ledger)) continue;
  const m = expand(ledger).match(/^postgres(?:ql)?:\/\/([^@/]+)@([^:/]+)(?::(\d+))?\/([^/?]+)$/);
  if (!m) {
    fail(cw, `ledger ${ledger} is not postgres://USER@HOST[:PORT]/DATABASE`);
    continue;
  }
  const [, user, host, port = "5432"] = m;
  if (user.includes(":")) fail(cw, "the ledger URL holds a password: give it with --ledger-password-file");
  const svc = host.match(/^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/);
  const service = svc && named("Service", svc[1]);
  if (!svc || svc[2] !== namespace) fail(cw, `ledger host ${host} is not <service>.${namespace}.svc.cluster.local`);
  else if (!service) fail(cw, `ledger host ${host}: no Service ${svc[1]}`);
  else if (!(service.obj.spec.ports || []).some((p) => String(p.port) === port))
    fail(cw, `ledger host ${host}: Service ${svc[1]} has no port ${port}`);
  const passwordFile = flagValue(c.args, "--ledger-password-file");
  if (!passwordFile) {
    fail(cw, "a postgres ledger without --ledger-password-file");
    continue;
  }
  const pod = w.obj.spec.template.spec;
  const mount = (c.volumeMounts || []).find((vm) => passwordFile.startsWith(vm.mountPath.replace(/\/?$/, "/")));
  const volume = mount && (pod.volumes || []).find((v) => v.name === mount.name);
  const key = mount && passwordFile.slice(mount.mountPath.replace(/\/?$/, "/").length);
  if (!volume || !volume.secret) fail(cw, `ledger password file ${passwordFile} is in no mounted Secret volume`);
  else if (volume.secret.items && !volume.secret.items.some((i) => i.path === key))
    fail(cw, `ledger password file ${passwordFile}: Secret volume ${volume.name} has no item at ${key}`);
}

// Templates hold no secret.
for (const t of objects.filter((o) => o.template && o.obj.kind === "Secret"))
  for (const [key, value] of Object.entries({ ...(t.obj.stringData || {}), ...(t.obj.data || {}) }))
    if (/password|token|\.key$/i.test(key) && value !== "REPLACE-ME")
      fail(`${t.where} ${key}`, "a template's secret values must be REPLACE-ME");

// ---------------------------------------------------------------- report
for (const o of objects) console.log(`checked ${o.file}: ${o.obj.apiVersion} ${o.obj.kind} ${o.obj.metadata && o.obj.metadata.name}`);
if (errors.length > 0) {
  for (const e of errors) console.error(`error: ${e}`);
  console.error(`${errors.length} problem(s) in ${k8sDir}`);
  process.exit(1);
}
console.log(`${objects.length} objects in ${manifestFiles.length} files valid (kubernetes-models ${require(path.join(modelsRoot, "kubernetes-models", "package.json")).version}), ${seedCount} seed node(s) resolved`);
