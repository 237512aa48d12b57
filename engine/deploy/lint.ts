import { createRequire } from 'node:module';

import type {
  Config,
  EnterFn,
  LeaveFn,
  Report,
  Reporter,
  Resolver,
  RuleFactory,
  TransformRuleFn,
} from 'bpmnlint/lib/types.js';

import { gridflowEngineConfig, gridflowRules } from './rules/index.ts';
import type { ModdleNode } from './rules/rule-support.ts';
import { checkHooks, skipNonExecutableProcesses } from './rules/rule-support.ts';

/** One finding of deploy-time validation: which element, which rule, why; an `error` refuses the deploy. */
export interface LintIssue {
  elementId: string;
  rule: string;
  message: string;
  category: 'error' | 'warn';
}

// bpmnlint and the camunda-compat plug-in are CommonJS without typings for their entry points.
const require = createRequire(import.meta.url);

type ReportCategory = 'error' | 'warn' | 'info' | 'rule-error';
type AnnotatedReport = Report & { category: ReportCategory };
interface BpmnLinter {
  lint(moddleRoot: unknown, config: Config): Promise<Record<string, AnnotatedReport[]>>;
}
type LinterConstructor = new (options: { resolver: Resolver; transformRule?: TransformRuleFn }) => BpmnLinter;

const { Linter } = require('bpmnlint') as { Linter: LinterConstructor };
const camundaCompat = require('bpmnlint-plugin-camunda-compat') as {
  configs: Record<string, Config>;
  rules: Record<string, string>;
};

const CORE = 'bpmnlint';
const CAMUNDA_COMPAT = 'bpmnlint-plugin-camunda-compat';
const GRIDFLOW = 'bpmnlint-plugin-gridflow';

/**
 * bpmnlint core rules. `start-event-required` comes with Camunda's config (Zeebe refuses a process or
 * sub-process without a start event). Of the rest only those that point at wrong *execution* are enabled,
 * and only as warnings, because Camunda 8.8 deploys and runs such models and "real models from the Camunda
 * ecosystem must deploy unchanged":
 * - no-disconnected: an element without sequence flows can never run;
 * - fake-join: a task with several incoming flows runs once per arriving token, it does not wait for all;
 * - no-duplicate-sequence-flows: two flows between the same elements produce two tokens.
 * Left out: label-required, no-bpmndi, superfluous-*, no-implicit-start/-end/-split, end-event-required,
 * no-gateway-join-fork, global (modelling style: Zeebe runs these as drawn); conditional-flows (Camunda's
 * sequence-flow-condition checks the same, stricter); single-event-definition, link-event, ad-hoc-sub-process,
 * event-sub-process-typed-start-event, sub-process-blank-start-event, no-complex-gateway (gridflow rules say
 * the same with an engine reason, so enabling them would report one problem twice).
 * Unlike Camunda's own rules, core rules also look into non-executable processes; the engine linter makes
 * them skip those (Zeebe ignores such pools since 8.2, and so does the engine), lintCamunda88 keeps them as
 * the Modeler runs them.
 */
const ENGINE_CORE_RULES: Record<string, 'warn'> = {
  'no-disconnected': 'warn',
  'fake-join': 'warn',
  'no-duplicate-sequence-flows': 'warn',
};
const CORE_RULES = new Set(['start-event-required', ...Object.keys(ENGINE_CORE_RULES)]);

const CAMUNDA_88_CONFIG: Config = { extends: 'plugin:camunda-compat/camunda-cloud-8-8' };
const ENGINE_CONFIG: Config = {
  extends: ['plugin:camunda-compat/camunda-cloud-8-8', 'plugin:gridflow/engine'],
  rules: ENGINE_CORE_RULES,
};

/** Resolves rules and configs from the installed packages by name, so no .bpmnlintrc is read at run time. */
const resolver: Resolver = {
  resolveRule(pkg, ruleName) {
    const camundaPath = pkg === CAMUNDA_COMPAT ? camundaCompat.rules[ruleName] : undefined;
    if (pkg === GRIDFLOW && ruleName in gridflowRules) {
      return gridflowRules[ruleName];
    }
    if (camundaPath?.startsWith('./')) {
      return require(`${CAMUNDA_COMPAT}/${camundaPath.slice(2)}`) as RuleFactory;
    }
    if (pkg === CORE && CORE_RULES.has(ruleName)) {
      return require(`bpmnlint/rules/${ruleName}`) as RuleFactory;
    }
    throw new Error(`unknown bpmnlint rule <${pkg}/${ruleName}>`);
  },
  resolveConfig(pkg, configName) {
    if (pkg === GRIDFLOW && configName === 'engine') {
      return gridflowEngineConfig;
    }
    if (pkg === CAMUNDA_COMPAT && configName in camundaCompat.configs) {
      return camundaCompat.configs[configName];
    }
    throw new Error(`unknown bpmnlint config <${pkg}/${configName}>`);
  },
};

/** Marks reports made for a rule that threw, so they become errors whatever the rule's category. */
const RULE_FAILURE = 'gridflowRuleFailure';

/**
 * Rules that read the diagram interchange (shapes, edges). Every other rule skips the BPMNDI subtree: a
 * diagram has more DI nodes (bounds, waypoints) than semantic ones, and each rule walks the tree on its own,
 * so skipping it halves the lint time. collapsed-subprocess is the only such Camunda rule (up to 8.3).
 */
const RULES_READING_DIAGRAM = new Set(['camunda-compat/collapsed-subprocess']);

/**
 * Wraps every rule as it is loaded: it skips the diagram (see above), optionally keeps core rules out of
 * non-executable processes, and an exception in a rule is reported as an error on the element it failed on,
 * instead of bpmnlint's default of dropping the whole rule with a console.error, so the deploy is refused and
 * the administrator sees where.
 */
const transformRule =
  ({ coreRulesSkipNonExecutable }: { coreRulesSkipNonExecutable: boolean }): TransformRuleFn =>
  (loaded, { pkg, ruleName }) => {
    const rule = pkg === CORE && coreRulesSkipNonExecutable ? skipNonExecutableProcesses(loaded) : loaded;
    const name = ruleDisplayName(
      pkg === CORE ? ruleName : `${pkg.replace('bpmnlint-plugin-', '')}/${ruleName}`,
    );
    const skipsDiagram = !RULES_READING_DIAGRAM.has(name);
    const { enter, leave } = checkHooks(rule);
    const guarded = <R>(
      hook: (node: ModdleNode, reporter: Reporter) => R,
      node: ModdleNode,
      reporter: Reporter,
    ) => {
      try {
        return hook(node, reporter);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        reporter.report(node.id ?? '', `The validator failed on this element (rule ${name}: ${reason}).`, {
          [RULE_FAILURE]: true,
        });
        return undefined;
      }
    };
    const check: { enter: EnterFn; leave?: LeaveFn } = {
      enter: (node: ModdleNode, reporter) =>
        skipsDiagram && node.$type === 'bpmndi:BPMNDiagram' ? false : enter && guarded(enter, node, reporter),
    };
    if (leave) {
      check.leave = (node: ModdleNode, reporter) => guarded(leave, node, reporter);
    }
    return { ...rule, check };
  };

// A linter per lint: bpmnlint caches rule instances, and some rules keep state between runs (no-duplicate-
// sequence-flows remembers every flow it saw), which would leak findings from one deploy into the next.
// Rule modules stay in Node's module cache, so a new linter costs little.
const engineLinter = (): BpmnLinter =>
  new Linter({ resolver, transformRule: transformRule({ coreRulesSkipNonExecutable: true }) });
const camundaLinter = (): BpmnLinter =>
  new Linter({ resolver, transformRule: transformRule({ coreRulesSkipNonExecutable: false }) });

/** Lints parsed definitions with bpmnlint: the Camunda 8.8 rules of bpmnlint-plugin-camunda-compat (config `camunda-cloud-8-8`) plus the engine's own rules naming what the embedded engine does not support. */
export async function lintDefinitions(definitions: unknown): Promise<LintIssue[]> {
  return lint(engineLinter(), definitions, ENGINE_CONFIG);
}

/** Only the Camunda 8.8 compatibility rules, no engine rules: proves a file deploys to Camunda 8.8 too. */
export async function lintCamunda88(definitions: unknown): Promise<LintIssue[]> {
  return lint(camundaLinter(), definitions, CAMUNDA_88_CONFIG);
}

async function lint(linter: BpmnLinter, definitions: unknown, config: Config): Promise<LintIssue[]> {
  if ((definitions as { $type?: unknown } | null)?.$type !== 'bpmn:Definitions') {
    throw new TypeError('lint expects the bpmn:Definitions element returned by readBpmn');
  }
  const results = await linter.lint(definitions, config);
  const issues = new Map<string, LintIssue>();
  for (const [name, reports] of Object.entries(results)) {
    for (const report of reports) {
      const issue: LintIssue = {
        elementId: report.id ?? '',
        rule: ruleDisplayName(name),
        message: report.message,
        category: report[RULE_FAILURE] === true ? 'error' : categoryOf(report.category),
      };
      issues.set(JSON.stringify([issue.elementId, issue.rule, issue.message]), issue);
    }
  }
  // errors first: they are what blocks the deploy
  return [...issues.values()].sort((a, b) => Number(a.category === 'warn') - Number(b.category === 'warn'));
}

function categoryOf(category: ReportCategory): LintIssue['category'] {
  return category === 'error' || category === 'rule-error' ? 'error' : 'warn';
}

/** bpmnlint names core rules without a prefix; we show every rule with the package it comes from. */
function ruleDisplayName(name: string): string {
  return name.includes('/') ? name : `bpmnlint/${name}`;
}
