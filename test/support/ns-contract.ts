/**
 * Contract checks against the vendor's NetSapiens v2 OpenAPI document (`../shared/specs/netsapiens-v2-subset.json`
 * relative to the repository root; never copied into the repository). Every response a test gets through
 * `NsClient` is validated against the vendor's response schema for that path, method and status (errors against
 * `ErrorResponse` when the operation lists none). When the spec folder is absent, checks are skipped and
 * `VENDOR_SPEC_SKIP` says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { REPO_ROOT } from './trunkline.js';

/** The vendor specs folder; TRUNKLINE_SPECS_DIR overrides it (e.g. to check the skip path). */
export const VENDOR_SPECS_DIR = process.env.TRUNKLINE_SPECS_DIR ?? join(REPO_ROOT, '..', 'shared', 'specs');
export const VENDOR_SPEC_PATH = join(VENDOR_SPECS_DIR, 'netsapiens-v2-subset.json');
export const VENDOR_SPEC_SKIP: string | false = existsSync(VENDOR_SPEC_PATH)
  ? false
  : `vendor spec not found at ${VENDOR_SPEC_PATH}: NetSapiens contract checks skipped`;

type Json = Record<string, unknown>;
type Operation = { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> };

interface Route {
  readonly template: string;
  readonly regex: RegExp;
  /** Literal characters: a literal segment beats a {param} (e.g. /apikeys/~ over /apikeys/{key_id}). */
  readonly literal: number;
  readonly ops: Map<string, Operation>;
}

const SPEC_ID = 'https://vendor.invalid/netsapiens-v2.json';

let loaded: { routes: Route[]; ajv: Ajv2020; cache: Map<string, ValidateFunction> } | undefined;

export function loadVendorSpec(): Json {
  return JSON.parse(readFileSync(VENDOR_SPEC_PATH, 'utf8')) as Json;
}

function load() {
  if (loaded !== undefined) return loaded;
  const spec = loadVendorSpec();
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
  addFormats(ajv);
  // The vendor uses a few non-standard formats ("int", "pass"); accept them as annotations.
  for (const f of ['int', 'pass', 'pas']) ajv.addFormat(f, true);
  ajv.addSchema({ $id: SPEC_ID, components: (spec.components ?? {}) as Json });
  const byTemplate = new Map<string, Route>();
  for (const [rawPath, item] of Object.entries((spec.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    const template = rawPath.replace(/#.*$/, ''); // "/apikeys#1" is the vendor's way to list two GETs
    let route = byTemplate.get(template);
    if (route === undefined) {
      const regex = new RegExp(
        `^${template
          .split('/')
          .map((seg) => (seg.startsWith('{') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\~]/g, '\\$&')))
          .join('/')}$`,
      );
      route = { template, regex, literal: template.replace(/\{[^}]+\}/g, '').length, ops: new Map() };
      byTemplate.set(template, route);
    }
    for (const [method, op] of Object.entries(item)) {
      if (!route.ops.has(method)) route.ops.set(method, op);
    }
  }
  const routes = [...byTemplate.values()].sort((a, b) => b.literal - a.literal);
  loaded = { routes, ajv, cache: new Map() };
  return loaded;
}

/** Point `#/components/...` refs at the components registered under SPEC_ID. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (node !== null && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${SPEC_ID}${v}` : rebase(v);
    }
    return out;
  }
  return node;
}

export interface ContractResult {
  /** The vendor template matched, e.g. /domains/{domain}/connections/{connection-id}. */
  template: string;
  /** Which vendor schema was used: `<status>` or `ErrorResponse`. */
  schema: string;
  errors: string[];
}

/**
 * Validate one response. `path` is relative to `/ns-api/v2` (e.g. `/connections?domain=x`). Returns undefined
 * when the vendor spec has no such path (trunkline's own additions) or is absent.
 */
export function checkVendorContract(method: string, path: string, status: number, body: unknown): ContractResult | undefined {
  if (VENDOR_SPEC_SKIP !== false) return undefined;
  const { routes, ajv, cache } = load();
  const pathname = path.split('?')[0] ?? path;
  const m = method.toLowerCase();
  const route = routes.find((r) => r.regex.test(pathname) && r.ops.has(m)) ?? routes.find((r) => r.regex.test(pathname));
  if (route === undefined) return undefined;
  const op = route.ops.get(m);
  const declared = op?.responses?.[String(status)]?.content?.['application/json']?.schema;
  let schemaName: string;
  let schema: Json;
  if (declared !== undefined && (status < 400 || Object.keys(declared).length > 0)) {
    schemaName = String(status);
    schema = declared;
  } else if (status >= 400) {
    schemaName = 'ErrorResponse';
    schema = { $ref: '#/components/schemas/ErrorResponse' };
  } else {
    return { template: route.template, schema: 'none', errors: [] };
  }
  const cacheKey = `${m} ${route.template} ${schemaName}`;
  let validate = cache.get(cacheKey);
  if (validate === undefined) {
    validate = ajv.compile(rebase(schema) as Json);
    cache.set(cacheKey, validate);
  }
  const ok = validate(body);
  const errors = ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  return { template: route.template, schema: schemaName, errors };
}

/** The vendor's component schema by name (for direct checks). */
export function vendorComponentValidator(name: string): ValidateFunction | undefined {
  if (VENDOR_SPEC_SKIP !== false) return undefined;
  const { ajv, cache } = load();
  const key = `component ${name}`;
  let v = cache.get(key);
  if (v === undefined) {
    v = ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/${name}` });
    cache.set(key, v);
  }
  return v;
}
