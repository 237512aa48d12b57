import type { Logger } from '../../common/logger.ts';
import { maskPersonalData, maskPhone } from '../../common/mask.ts';
import type { OutboundMessage } from '../services/outbox-dispatcher.ts';
import { RecordingStub } from './recording-stub.ts';

export type { StubDelivery } from './recording-stub.ts';

/**
 * STUB of the external SMS gateway (短信平台): nothing leaves the process. It logs each message with the phone
 * numbers masked and keeps the last `keep` messages in memory for tests and the demo. A real gateway adapter
 * implements the same `NotificationChannel` and replaces this one in server/main.ts.
 */
export class SmsGatewayStub extends RecordingStub {
  readonly address = 'phone';

  constructor(options: { log: Logger; keep?: number }) {
    super(options, 'sms');
  }

  protected logFields(message: OutboundMessage): Record<string, unknown> {
    return {
      to: message.recipients.map((r) => maskPhone(r.phone)),
      params: maskPersonalData(message.payload),
    };
  }
}
