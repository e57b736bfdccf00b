import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Parallel,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
  type IChainable,
  type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  OrderNotFoundError,
  OrderNotReadyError,
  PrintifyLookupContinuesError,
  PrintifySlotMissedError,
  PrintifyUnavailableError,
  SesSlotMissedError,
  TransientError,
} from '../../lambdas/domain/errors';
import { RETRY_POLICIES, type RetriedErrorType, type RetryPolicy } from '../../lambdas/domain/retry-policy';
import type { WorkflowName } from '../../lambdas/domain/stripe-events';

/** A function a workflow task invokes; its `timeout` (default 3 s, Lambda's) bounds the task's. */
export type WorkflowFunction = IFunction & { readonly timeout?: Duration };

/** The Lambdas the workflows invoke (each task's timeout is its function's timeout + TASK_TIMEOUT_MARGIN). */
export interface WorkflowFunctions {
  /** order status changes from Stripe's events (Record payment, refund, dispute, …) */
  readonly fulfilment: WorkflowFunction;
  /** the calls to Printify: create (paced), mark failed, cancel a refunded print */
  readonly printify: WorkflowFunction;
  readonly petals: WorkflowFunction;
  readonly email: WorkflowFunction;
  readonly cart: WorkflowFunction;
}

/**
 * The retry table's entry for one error type (lambdas/domain/retry-policy.ts) as a Retrier:
 * seconds become Durations, and every policy gets FULL jitter.
 */
export function retryProps(errorType: RetriedErrorType): RetryProps {
  const policy: RetryPolicy = RETRY_POLICIES[errorType];
  return {
    errors: [errorType, ...(policy.alsoMatches ?? [])],
    interval: Duration.seconds(policy.intervalSeconds),
    maxAttempts: policy.maxAttempts,
    backoffRate: policy.backoffRate,
    ...(policy.maxDelaySeconds === undefined ? {} : { maxDelay: Duration.seconds(policy.maxDelaySeconds) }),
    jitterStrategy: JitterType.FULL,
  };
}

/**
 * How much longer than its function's own timeout a task may take before Step Functions fails it
 * with States.Timeout (an invocation lost between Step Functions and Lambda, or queued behind a
 * throttle); that error is retried like any transient one.
 */
export const TASK_TIMEOUT_MARGIN = Duration.seconds(30);

/**
 * The fulfilment workflow's timeout: its Wait for a Printify slot lasts as long as the sale's
 * backlog (at 540 calls a minute, 24 hours is about 390,000 orders with auto-approval, half that
 * without); the other workflows keep 2 hours.
 */
export const FULFILMENT_TIMEOUT = Duration.hours(24);

/** Where Record payment puts the order's reserved slots (lambdas/fulfilment/pacing.ts FulfilmentPace). */
const PACE = '$.payment.pace';

const EXECUTION_INPUT = '$$.Execution.Input';
const executionFacts = {
  executionName: JsonPath.stringAt('$$.Execution.Name'),
  input: JsonPath.objectAt(EXECUTION_INPUT),
};

/**
 * The Step Functions (Standard) workflows, one per business flow. Every task reads the event facts
 * from the execution input, retries what can succeed later, and records what cannot; a workflow
 * whose side steps failed ends failed (so that it alarms and can be redriven) without undoing the
 * steps that succeeded.
 */
export class Workflows extends Construct {
  readonly stateMachines: Record<WorkflowName, StateMachine>;

  constructor(
    scope: Construct,
    id: string,
    private readonly fns: WorkflowFunctions,
  ) {
    super(scope, id);
    this.stateMachines = {
      // An order of a flash sale waits its turn for Printify (hours, if the backlog needs them).
      fulfilment: this.stateMachine('Fulfilment', this.fulfilmentDefinition(), FULFILMENT_TIMEOUT),
      paymentFailed: this.stateMachine('PaymentFailed', this.paymentFailedDefinition()),
      refund: this.stateMachine('Refund', this.refundDefinition()),
      subscriptionPayment: this.stateMachine('SubscriptionPayment', this.subscriptionPaymentDefinition()),
      checkoutExpired: this.stateMachine('CheckoutExpired', this.checkoutExpiredDefinition()),
      dispute: this.stateMachine('Dispute', this.disputeDefinition()),
    };
  }

  private stateMachine(name: string, definition: IChainable, timeout = Duration.hours(2)): StateMachine {
    const logs = new LogGroup(this, `${name}Logs`, { retention: RetentionDays.THREE_MONTHS });
    return new StateMachine(this, name, {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      // Every state's entry, exit and failure (an order's path, state by state), without the
      // execution data: the inputs carry customers' emails and addresses.
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    });
  }

  /**
   * A Lambda task that passes the execution's facts plus `payload`, with the standard retries.
   * `branchStep` (with resultPath '$') makes it the end of a Parallel branch: its output is only
   * `{ step, result }`, shaped by the task itself (a Pass state would cost a transition per branch).
   */
  private task(
    id: string,
    fn: WorkflowFunction,
    payload: Record<string, unknown>,
    resultPath: string,
    retries: RetriedErrorType[] = [],
    branchStep?: string,
  ) {
    const task = new LambdaInvoke(this, id, {
      lambdaFunction: fn,
      // Bounded: without it a lost invocation waits for the execution's own two-hour timeout.
      taskTimeout: Timeout.duration((fn.timeout ?? Duration.seconds(3)).plus(TASK_TIMEOUT_MARGIN)),
      // the Invoke API's own transient errors are in the retry table's TransientError entry
      retryOnServiceExceptions: false,
      payload: TaskInput.fromObject({ ...executionFacts, ...payload }),
      payloadResponseOnly: true,
      resultPath,
      ...(branchStep === undefined ? {} : { resultSelector: { step: branchStep, 'result.$': '$' } }),
    });
    const policies: RetriedErrorType[] = [TransientError.errorType, ...retries];
    for (const errorType of policies) task.addRetry(retryProps(errorType));
    return task;
  }

  /** A side step whose failure is recorded in the branch output instead of failing its siblings. */
  private sideStep(
    id: string,
    fn: WorkflowFunction,
    payload: Record<string, unknown>,
    step: string,
    before?: (task: LambdaInvoke) => void,
  ): IChainable {
    const task = this.task(id, fn, payload, '$', [], step);
    before?.(task);
    const failed = new Pass(this, `${id} failed`, {
      parameters: { failedStep: step, 'error.$': '$.error' },
    });
    task.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
    return task;
  }

  /** After a Parallel of side steps: fail the execution if any branch recorded a failure. */
  private endAfter(id: string, branches: number, resultPath: string, errorName: string): IChainable {
    const anyFailed = Condition.or(...Array.from({ length: branches }, (_, i) => Condition.isPresent(`${resultPath}[${i}].failedStep`)));
    return new Choice(this, `${id}: all steps done?`)
      .when(
        anyFailed,
        new Fail(this, `${id}: some steps failed`, { error: errorName, cause: 'see the failed branch in the execution history' }),
      )
      .otherwise(new Succeed(this, `${id}: done`));
  }

  /**
   * The loop of a paced task that missed its slot (it started late, or needs more calls than it
   * had): its SlotMissed error carries the fresh slot it reserved (slotMessage: `slot|<seconds>|<at>|
   * <n>|…`); a Pass state puts it where the Wait state and the task read the slot, and the task runs
   * again after the Wait. Only a late task takes it: an order on time makes no extra transition.
   */
  private slotLoop(task: LambdaInvoke, errorType: string, id: string, slotPath: string, wait: Wait): void {
    const field = (i: number) => `States.ArrayGetItem(States.StringSplit($.slotMissed.Cause, '|'), ${i})`;
    const takeSlot = new Pass(this, id, {
      parameters: { 'seconds.$': `States.StringToJson(${field(1)})`, 'at.$': field(2), 'n.$': `States.StringToJson(${field(3)})` },
      resultPath: slotPath,
    });
    task.addCatch(takeSlot.next(wait), { errors: [errorType], resultPath: '$.slotMissed' });
  }

  /** Ends the execution failed with the caught error's own type and message, for the operator. */
  private giveUp(id: string) {
    return new Fail(this, `${id}: gave up`, { errorPath: '$.Error', causePath: '$.Cause' });
  }

  private fulfilmentDefinition(): IChainable {
    const { fulfilment, printify: printifyFn, email, petals, cart } = this.fns;
    const orderId = JsonPath.stringAt(`${EXECUTION_INPUT}.orderId`);
    const recordPayment = this.task('Record payment', fulfilment, { action: 'recordPayment' }, '$.payment', [OrderNotFoundError.errorType]);
    recordPayment.addCatch(this.giveUp('Record payment'), { errors: [OrderNotFoundError.errorType] });

    // Printify rate limits or is down (PrintifyUnavailable): back off with full jitter (the retry
    // table), then "Mark fulfillment failed" records the reason (PrintifyOrderFailed).
    // Paced, not raced: Record payment reserved this order's Printify and SES slots in the shared
    // quota items; each branch waits for its slot in a Wait state (one transition however long).
    const printify = this.task(
      'Create Printify order',
      printifyFn,
      {
        action: 'createPrintifyOrder',
        notBefore: JsonPath.stringAt(`${PACE}.printify.at`),
        slots: JsonPath.numberAt(`${PACE}.printify.n`),
      },
      '$',
      [PrintifyUnavailableError.errorType, PrintifyLookupContinuesError.errorType, OrderNotReadyError.errorType],
      'printify',
    );
    const markFailed = this.task(
      'Mark fulfillment failed',
      printifyFn,
      { action: 'markFulfillmentFailed', error: JsonPath.objectAt('$.error') },
      '$.marked',
    );
    const waitForPrintify = new Wait(this, 'Wait for a Printify slot', { time: WaitTime.secondsPath(`${PACE}.printify.seconds`) });
    const waitForSes = new Wait(this, 'Wait for an SES slot', { time: WaitTime.secondsPath(`${PACE}.email.seconds`) });
    // first match wins: a missed slot loops back to the Wait before anything else catches it
    this.slotLoop(printify, PrintifySlotMissedError.errorType, 'Take a new Printify slot', `${PACE}.printify`, waitForPrintify);
    printify.addCatch(markFailed, { errors: ['States.ALL'], resultPath: '$.error' });
    const printifyFailed = new Pass(this, 'Printify failed', { parameters: { failedStep: 'printify', 'error.$': '$.error' } });
    // Even recording the failure may fail; that must not cancel the sibling branches either.
    markFailed.addCatch(printifyFailed, { errors: ['States.ALL'], resultPath: '$.markError' });
    markFailed.next(printifyFailed);
    const fulfil = new Parallel(this, 'Fulfil', { resultPath: '$.steps' })
      .branch(waitForPrintify.next(printify))
      .branch(
        waitForSes.next(
          this.sideStep(
            'Send confirmation email',
            email,
            { template: 'order-confirmation', orderId, notBefore: JsonPath.stringAt(`${PACE}.email.at`) },
            'email',
            (task) => this.slotLoop(task, SesSlotMissedError.errorType, 'Take a new SES slot', `${PACE}.email`, waitForSes),
          ),
        ),
      )
      .branch(this.sideStep('Award petals', petals, { action: 'settleOrder', orderId }, 'petals'))
      .branch(this.sideStep('Clear cart', cart, { action: 'clearPurchased', orderId }, 'cart'));
    fulfil.next(this.endAfter('Fulfil', 4, '$.steps', 'FulfilmentIncomplete'));

    return recordPayment.next(
      new Choice(this, 'Paid by this event?')
        .when(Condition.booleanEquals('$.payment.fulfil', true), fulfil)
        .otherwise(new Succeed(this, 'Nothing to fulfil')),
    );
  }

  private paymentFailedDefinition(): IChainable {
    const markFailed = this.task('Mark payment failed', this.fns.fulfilment, { action: 'markPaymentFailed' }, '$.failure', [
      OrderNotFoundError.errorType,
    ]);
    markFailed.addCatch(this.giveUp('Mark payment failed'), { errors: [OrderNotFoundError.errorType] });
    const sendEmail = this.task(
      'Send payment failed email',
      this.fns.email,
      {
        template: 'payment-failed',
        orderId: JsonPath.stringAt(`${EXECUTION_INPUT}.orderId`),
        eventId: JsonPath.stringAt(`${EXECUTION_INPUT}.eventId`),
        reason: JsonPath.stringAt(`${EXECUTION_INPUT}.reason`),
      },
      '$.email',
    );
    return markFailed.next(
      new Choice(this, 'Failed by this event?')
        .when(Condition.booleanEquals('$.failure.notify', true), sendEmail.next(new Succeed(this, 'Customer told')))
        .otherwise(new Succeed(this, 'Nothing to tell')),
    );
  }

  private refundDefinition(): IChainable {
    const record = this.task('Record refund', this.fns.fulfilment, { action: 'recordRefund' }, '$.refund', [
      OrderNotFoundError.errorType,
      OrderNotReadyError.errorType,
    ]);
    record.addCatch(this.giveUp('Record refund'), { errors: [OrderNotFoundError.errorType, OrderNotReadyError.errorType] });
    const orderId = JsonPath.stringAt('$.refund.orderId');
    const settle = new Parallel(this, 'Settle refund', { resultPath: '$.steps' })
      .branch(this.sideStep('Deduct petals', this.fns.petals, { action: 'settleOrder', orderId }, 'petals'))
      .branch(
        this.sideStep(
          'Send refund email',
          this.fns.email,
          {
            template: JsonPath.stringAt('$.refund.emailTemplate'),
            orderId,
            amountRefunded: JsonPath.numberAt('$.refund.amountRefunded'),
            refundedBefore: JsonPath.numberAt('$.refund.refundedBefore'),
            emailKey: JsonPath.stringAt('$.refund.emailKey'),
          },
          'email',
        ),
      )
      // a fully refunded order's print is canceled while Printify has not produced it
      .branch(this.sideStep('Cancel refunded print', this.fns.printify, { action: 'cancelRefundedPrint', orderId }, 'printify'));
    settle.next(this.endAfter('Refund', 3, '$.steps', 'RefundIncomplete'));
    // a refund of one of our subscription invoices: its record took the refund, its petals follow
    const settleInvoice = this.task(
      'Deduct invoice petals',
      this.fns.petals,
      { action: 'settleInvoice', invoiceId: JsonPath.stringAt('$.refund.invoiceId') },
      '$.petals',
    );
    // a refund of another order's payment, or of no order's or invoice's, touched nothing (recordRefund)
    return record.next(
      new Choice(this, 'Refund of this order?')
        .when(Condition.booleanEquals('$.refund.apply', true), settle)
        .when(
          Condition.and(Condition.isPresent('$.refund.invoiceId'), Condition.stringEquals('$.refund.owner', 'invoice')),
          settleInvoice.next(new Succeed(this, 'Invoice refund settled')),
        )
        .otherwise(new Succeed(this, 'Not an order refund')),
    );
  }

  private checkoutExpiredDefinition(): IChainable {
    const cancel = this.task('Cancel unpaid order', this.fns.fulfilment, { action: 'cancelExpiredCheckout' }, '$.cancelled', [
      OrderNotFoundError.errorType,
    ]);
    cancel.addCatch(this.giveUp('Cancel unpaid order'), { errors: [OrderNotFoundError.errorType] });
    return cancel;
  }

  private disputeDefinition(): IChainable {
    const record = this.task('Record dispute', this.fns.fulfilment, { action: 'recordDispute' }, '$.dispute', [
      OrderNotFoundError.errorType,
      OrderNotReadyError.errorType,
    ]);
    record.addCatch(this.giveUp('Record dispute'), { errors: [OrderNotFoundError.errorType, OrderNotReadyError.errorType] });
    // Holds (or gives back) the order's petals; no Catch: a failure fails the execution visibly.
    return record.next(
      new Choice(this, 'Dispute of this order?')
        .when(
          Condition.booleanEquals('$.dispute.apply', true),
          this.task(
            'Hold or restore petals',
            this.fns.petals,
            { action: 'settleOrder', orderId: JsonPath.stringAt('$.dispute.orderId') },
            '$.petals',
          ),
        )
        // a dispute of one of our subscription invoices' charges: the same for the invoice's petals
        .when(
          Condition.and(Condition.isPresent('$.dispute.invoiceId'), Condition.stringEquals('$.dispute.owner', 'invoice')),
          this.task(
            'Hold or restore invoice petals',
            this.fns.petals,
            { action: 'settleInvoice', invoiceId: JsonPath.stringAt('$.dispute.invoiceId') },
            '$.petals',
          ),
        )
        .otherwise(new Succeed(this, 'Not an order dispute')),
    );
  }

  /**
   * invoice.payment_succeeded awards the invoice's petals; invoice_payment.paid (API 2025-03-31 and
   * later) records which payment paid it, so that a refund or dispute of that payment finds it.
   */
  private subscriptionPaymentDefinition(): IChainable {
    const award = this.task('Award subscription petals', this.fns.petals, { action: 'awardInvoice' }, '$.petals');
    const link = this.task('Record invoice payment', this.fns.petals, { action: 'linkInvoicePayment' }, '$.link');
    return new Choice(this, 'Invoice paid or its payment?')
      .when(Condition.stringEquals('$.kind', 'invoicePaymentLink'), link)
      .otherwise(award);
  }
}
