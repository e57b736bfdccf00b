import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export interface WorkflowStarter {
  /** Starts (or finds) the execution named `name`; returns its ARN. */
  start(stateMachineArn: string, name: string, input: unknown): Promise<string>;
}

/** `arn:aws:states:r:a:stateMachine:sm` + name -> `arn:aws:states:r:a:execution:sm:name` */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Step Functions StartExecution. An execution name is unique per state machine for 90 days, so a
 * second start of the same event is refused with ExecutionAlreadyExists: that execution exists,
 * which is what we wanted. The endpoint comes from AWS_ENDPOINT_URL_SFN when set.
 */
export class StepFunctionsStarter implements WorkflowStarter {
  constructor(private readonly client = new SFNClient({})) {}

  async start(stateMachineArn: string, name: string, input: unknown): Promise<string> {
    try {
      const result = await this.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return result.executionArn ?? executionArnFor(stateMachineArn, name);
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return executionArnFor(stateMachineArn, name);
      throw error;
    }
  }
}
