import type { Logger } from '../../common/logger.ts';
import { maskPersonalData } from '../../common/mask.ts';
import type { OutboundMessage } from '../services/outbox-dispatcher.ts';
import { RecordingStub } from './recording-stub.ts';

/**
 * STUB of the external app push service (the staff app's notifications): nothing leaves the process. It logs
 * each message by user id (phone numbers masked, should a payload carry one) and keeps the last `keep`
 * messages in memory for tests and the demo. A real push adapter implements the same `NotificationChannel`
 * and replaces this one in server/main.ts.
 */
export class AppPushStub extends RecordingStub {
  readonly address = 'userId';

  constructor(options: { log: Logger; keep?: number }) {
    super(options, 'push');
  }

  protected logFields(message: OutboundMessage): Record<string, unknown> {
    return {
      userIds: message.recipients.map((r) => r.userId),
      data: maskPersonalData(message.payload),
    };
  }
}
