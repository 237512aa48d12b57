import type { Logger } from '../../common/logger.ts';
import type { NotificationChannel, OutboundMessage } from '../services/outbox-dispatcher.ts';

/** A message a stub accepted, with the id it answered. */
export interface StubDelivery {
  messageId: string;
  message: OutboundMessage;
}

/**
 * What the channel stubs share: nothing leaves the process; each message is logged (the subclass says with
 * which fields, phone numbers masked), kept in memory (the last `keep`) and answered with a made-up id.
 */
export abstract class RecordingStub implements NotificationChannel {
  abstract readonly address: NotificationChannel['address'];
  private readonly log: Logger;
  private readonly keep: number;
  private readonly deliveries: StubDelivery[] = [];
  private counter = 0;

  protected constructor(
    options: { log: Logger; keep?: number },
    private readonly name: string,
  ) {
    this.log = options.log.child({ scope: `${name}-stub` });
    this.keep = options.keep ?? 100;
  }

  /** The fields to log for a message: masked, never a phone number in clear. */
  protected abstract logFields(message: OutboundMessage): Record<string, unknown>;

  /** Accepts the message: logs it masked, remembers it, answers a made-up message id. */
  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    const messageId = `${this.name}-stub-${++this.counter}`;
    this.deliveries.push({ messageId, message });
    if (this.deliveries.length > this.keep) this.deliveries.splice(0, this.deliveries.length - this.keep);
    this.log.info(
      {
        messageId,
        outboxId: message.outboxId,
        template: message.template,
        caseId: message.caseId,
        ...this.logFields(message),
      },
      `${this.name} accepted by the stub`,
    );
    return { messageId };
  }

  /** The last messages accepted, oldest first. They may hold full phone numbers: memory only, never logged. */
  get sent(): readonly StubDelivery[] {
    return [...this.deliveries];
  }
}
