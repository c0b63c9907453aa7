/**
 * Routing a call through a dial plan: pick the rule, return its application and the rewritten URIs.
 *
 * Evaluation order. The vendor's dial rule carries no priority field: a rule is identified by its matching
 * fields alone (its id is their concatenation), and the API lists no order. Operators write a catch-all
 * (`sip:*@*`) next to specific numbers (`sip:911@*`) and business-hours rules next to an unconstrained
 * rule with the same pattern, and expect the specific one to win whatever the insertion order. trunkline
 * therefore evaluates rules most-specific-first, and the first rule that matches wins:
 *   1. destination pattern (`matchToUri`): user part, then host (more literal characters, then more
 *      `?`/`[...]` positions, then fewer `*`; see `compareSpecificity`);
 *   2. caller pattern (`matchFromUri`), the same way;
 *   3. more time conditions set first (day of week, date range, time of day: a business-hours rule before
 *      the unconstrained rule with the same patterns);
 *   4. the order of `dialPlan.rules` (the store's order) breaks remaining ties.
 * Disabled rules never match. A caller that has already put rules in the order it wants passes
 * `ruleOrder: 'as-given'`, and then the array order alone decides.
 *
 * Translation. The winning rule's templates (`[*]` = the incoming value, plus `<OwnDomain>`,
 * `<OwnCidNmbr>`, `<OwnCidName>`) rewrite the destination and the source; schemes follow
 * `destinationScheme`/`sourceScheme` (`[*]` keep, `sip:` force, `<Null>` none).
 */
import { compareSpecificity, compileDialPattern, matchDialPattern, type CompiledDialPattern } from './pattern.js';
import { applyDialTemplate, compileDialTemplate, type CompiledTemplate, type TokenValues } from './templates.js';
import { compileTimeFrame, localMoment, timeFrameConstraints, timeFrameMatches, type TimeFrame } from './timeframe.js';
import { DIAL_RULE_RESPONDERS, type DialPlan, type DialRule, type DialRuleApplication, type DialRuleScheme } from './types.js';

export interface RouteCallInput {
  /** The plan with its rules. */
  dialPlan: DialPlan;
  toUser: string;
  toHost: string;
  fromUser: string;
  fromHost: string;
  /** Caller display name, for `sourceName` templates; default ''. */
  fromName?: string | undefined;
  /** Schemes of the incoming URIs; default `sip`. */
  toScheme?: string | undefined;
  fromScheme?: string | undefined;
  now: Date;
  /** The connection's IANA zone; '' falls back to `utcOffset`, then UTC. */
  timeZone: string;
  /** The connection's `utcOffset`, used only when `timeZone` is empty. */
  utcOffset?: string | undefined;
  /** Values of the vendor tokens; `ownDomain` defaults to the plan's domain (unless that is `*`). */
  tokens?: TokenValues | undefined;
  /** `specificity` (default, see above) or `as-given` (array order). */
  ruleOrder?: 'specificity' | 'as-given' | undefined;
}

export interface RouteResult {
  rule: DialRule;
  application: DialRuleApplication;
  /** The vendor responder the application stands for, e.g. `sip:start@to-connection`. */
  responder: string;
  parameter: string;
  /** Translated destination; scheme null = written without a scheme (`<Null>`). */
  toScheme: string | null;
  toUser: string;
  toHost: string;
  /** Translated source. */
  fromScheme: string | null;
  fromName: string;
  fromUser: string;
  fromHost: string;
}

interface CompiledRule {
  readonly rule: DialRule;
  readonly index: number;
  readonly to: CompiledDialPattern;
  readonly from: CompiledDialPattern;
  readonly frame: TimeFrame;
  readonly constraints: number;
  readonly destinationUser: CompiledTemplate;
  readonly destinationHost: CompiledTemplate;
  readonly sourceUser: CompiledTemplate;
  readonly sourceHost: CompiledTemplate;
  readonly sourceName: CompiledTemplate;
}

interface CompiledPlan {
  readonly rules: readonly CompiledRule[];
  readonly bySpecificity: readonly CompiledRule[];
}

function compileRule(rule: DialRule, index: number): CompiledRule {
  const frame = compileTimeFrame(rule);
  return {
    rule,
    index,
    to: compileDialPattern(rule.matchToUri, 'matchToUri'),
    from: compileDialPattern(rule.matchFromUri, 'matchFromUri'),
    frame,
    constraints: timeFrameConstraints(frame),
    destinationUser: compileDialTemplate(rule.destinationUser, 'user', 'destinationUser'),
    destinationHost: compileDialTemplate(rule.destinationHost, 'host', 'destinationHost'),
    sourceUser: compileDialTemplate(rule.sourceUser, 'user', 'sourceUser'),
    sourceHost: compileDialTemplate(rule.sourceHost, 'host', 'sourceHost'),
    sourceName: compileDialTemplate(rule.sourceName, 'name', 'sourceName'),
  };
}

function compareRules(a: CompiledRule, b: CompiledRule): number {
  return (
    compareSpecificity(a.to, b.to) ||
    compareSpecificity(a.from, b.from) ||
    b.constraints - a.constraints ||
    a.index - b.index
  );
}

// Plans are treated as immutable values: compile once per rules array, keep while the array lives.
const cache = new WeakMap<readonly DialRule[], CompiledPlan>();

function compilePlan(rules: readonly DialRule[]): CompiledPlan {
  let plan = cache.get(rules);
  if (plan === undefined) {
    const compiled = rules.map(compileRule);
    plan = { rules: compiled, bySpecificity: [...compiled].sort(compareRules) };
    cache.set(rules, plan);
  }
  return plan;
}

/**
 * The rules of a plan in the order `routeCall` tries them (disabled rules included, where they fall).
 * Throws ValidationError when a rule does not compile (validate plans on write to avoid that).
 */
export function orderDialRules(rules: readonly DialRule[]): DialRule[] {
  return compilePlan(rules).bySpecificity.map((c) => c.rule);
}

function schemeOf(setting: DialRuleScheme, incoming: string): string | null {
  if (setting === 'sip:') return 'sip';
  if (setting === '<Null>') return null;
  return incoming;
}

/**
 * The first rule that matches the call, and what it does; undefined when none matches.
 * Throws ValidationError only for input that validation would have refused: a rule that does not compile,
 * an unknown time zone, a bad utcOffset or an invalid `now`.
 */
export function routeCall(input: RouteCallInput): RouteResult | undefined {
  const plan = compilePlan(input.dialPlan.rules);
  const at = localMoment(input.now, { timeZone: input.timeZone, utcOffset: input.utcOffset });
  const toScheme = (input.toScheme ?? 'sip').toLowerCase();
  const fromScheme = (input.fromScheme ?? 'sip').toLowerCase();
  const order = input.ruleOrder === 'as-given' ? plan.rules : plan.bySpecificity;
  const winner = order.find(
    (c) =>
      c.rule.enabled &&
      matchDialPattern(c.to, { scheme: toScheme, user: input.toUser, host: input.toHost }) &&
      matchDialPattern(c.from, { scheme: fromScheme, user: input.fromUser, host: input.fromHost }) &&
      timeFrameMatches(c.frame, at),
  );
  if (winner === undefined) return undefined;
  const planDomain = input.dialPlan.domain === '*' ? undefined : input.dialPlan.domain;
  const tokens: TokenValues = { ownDomain: planDomain, ...input.tokens };
  const { rule } = winner;
  return {
    rule,
    application: rule.application,
    responder: DIAL_RULE_RESPONDERS[rule.application][0],
    parameter: rule.parameter,
    toScheme: schemeOf(rule.destinationScheme, toScheme),
    toUser: applyDialTemplate(winner.destinationUser, input.toUser, tokens),
    toHost: applyDialTemplate(winner.destinationHost, input.toHost, tokens),
    fromScheme: schemeOf(rule.sourceScheme, fromScheme),
    fromName: applyDialTemplate(winner.sourceName, input.fromName ?? '', tokens),
    fromUser: applyDialTemplate(winner.sourceUser, input.fromUser, tokens),
    fromHost: applyDialTemplate(winner.sourceHost, input.fromHost, tokens),
  };
}
