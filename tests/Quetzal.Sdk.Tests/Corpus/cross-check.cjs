// Runs the repository's ASL corpus through two independent implementations, the npm packages
// aws-local-stepfunctions (an interpreter) and asl-validator (a validator), installed by eng/stack.sh in
// eng/stack/node_modules. Prints one JSON object per case on stdout:
//   {"kind":"run","name":...,"outcome":{"output":...} | {"error":...,"cause":...} | {"refused":...}}
//   {"kind":"check","name":...,"valid":true|false,"errors":[...]}
// The test that reads it (AslCrossCheckTests) compares those with the corpus's expectations; the specification
// decides where they disagree, and each disagreement is written down in the corpus case it concerns.
// usage: node cross-check.cjs <corpus folder> <eng/stack folder>
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

// aws-local-stepfunctions 3 asks for Node 22 for one function of ES2024 that Node 20 (Debian's and NodeSource's
// current package here) lacks; it is defined here as the standard defines it.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new this((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

const [corpus, stack] = process.argv.slice(2);
const load = createRequire(path.join(path.resolve(stack), 'package.json'));
const { StateMachine } = load('aws-local-stepfunctions');
const aslValidator = load('asl-validator');

const LambdaInvoke = 'arn:aws:states:::lambda:invoke';

// The corpus's "steps": what each Task state does (by state name): a result, or an error (always, or for one
// payload), after an optional delay; with neither, the payload comes back. Mirrors AslRunCorpusTests.Steps.
function handlers(machine, steps) {
  const result = {};
  const visit = (states) => {
    for (const [name, state] of Object.entries(states || {})) {
      if (state.Type === 'Task') {
        const lambdaInvoke = state.Resource === LambdaInvoke;
        result[name] = async (input) => {
          const payload = lambdaInvoke ? input && input.Payload : input;
          const step = (steps || {})[name] || {};
          if (typeof step.delaySeconds === 'number') await new Promise((r) => setTimeout(r, step.delaySeconds * 1000));
          if (typeof step.error === 'string' && (!('errorWhen' in step) || JSON.stringify(step.errorWhen) === JSON.stringify(payload))) {
            const error = new Error(step.cause || '');
            error.name = step.error;
            throw error;
          }
          const value = 'result' in step ? step.result : payload;
          return lambdaInvoke ? { ExecutedVersion: '$LATEST', Payload: value, StatusCode: 200 } : value;
        };
      }
      for (const branch of state.Branches || []) visit(branch.States);
      if (state.Iterator) visit(state.Iterator.States);
      if (state.ItemProcessor) visit(state.ItemProcessor.States);
    }
  };
  visit(machine.States);
  return result;
}

async function run(name, c) {
  let machine;
  try {
    machine = new StateMachine(c.machine, { validationOptions: { checkPaths: false, checkArn: false } });
  } catch (e) {
    return { refused: String(e && e.message || e).slice(0, 300) };
  }
  const context = {
    Execution: { Id: 'corpus', Input: c.input, Name: 'corpus', StartTime: new Date().toISOString() },
    StateMachine: { Id: 'arn:aws:states:ca-central-1:000000000000:stateMachine:corpus-machine', Name: 'corpus-machine' },
  };
  try {
    const execution = machine.run(c.input === undefined ? {} : c.input, { overrides: { taskResourceLocalHandlers: handlers(c.machine, c.steps), retryIntervalOverrides: {} }, context });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error('did not end in 10 s'), { name: 'Timeout' })), 10000));
    const output = await Promise.race([execution.result, timeout]);
    return { output: output === undefined ? null : output };
  } catch (e) {
    // The package throws an ExecutionError whose cause is the state's error: its name is the error, its message the cause.
    const inner = e && e.name === 'ExecutionError' && e.cause ? e.cause : e;
    return { error: String(inner && inner.name), cause: inner && inner.message !== undefined ? String(inner.message) : null };
  }
}

(async () => {
  for (const file of fs.readdirSync(path.join(corpus, 'run')).filter((f) => f.endsWith('.json')).sort()) {
    const c = JSON.parse(fs.readFileSync(path.join(corpus, 'run', file), 'utf8'));
    const outcome = await run(file, c);
    process.stdout.write(JSON.stringify({ kind: 'run', name: file.slice(0, -5), outcome }) + '\n');
  }
  for (const file of fs.readdirSync(path.join(corpus, 'check')).filter((f) => f.endsWith('.json')).sort()) {
    const c = JSON.parse(fs.readFileSync(path.join(corpus, 'check', file), 'utf8'));
    let valid, errors;
    try {
      const answer = aslValidator(c.machine);
      valid = answer.isValid;
      errors = (answer.errors || []).map((e) => e.Message || e.message || JSON.stringify(e)).slice(0, 5);
    } catch (e) {
      valid = false;
      errors = ['threw: ' + (e && e.message || e)];
    }
    process.stdout.write(JSON.stringify({ kind: 'check', name: file.slice(0, -5), valid, errors }) + '\n');
  }
})().catch((e) => { console.error(e); process.exit(2); });
