import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs cdk-nag's AwsSolutions rules over every stack of the app when it synthesizes.
 *
 * cdk-nag 3 is a CDK validation plugin (not an Aspect): an unacknowledged error fails `cdk synth` and
 * `cdk deploy`, and every finding, error or warning, is printed in the validation report. A finding that
 * does not apply is acknowledged on its construct with `Validations.of(construct).acknowledge({ id, reason })`,
 * always with a reason; test/infra/nag.test.ts holds the stack to no unacknowledged findings at all.
 */
export const addNagChecks = (app: App): AwsSolutionsChecks => {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
};
