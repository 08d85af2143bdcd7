export { startFakeSlack } from './server.ts';
export { FAST_RETRY, fakeSlackClient, slackErrorOf } from './client.ts';
export { signSlackRequest, type SlackSignatureHeaders } from './signing.ts';
export {
  appHomeOpenedEvent,
  blockActionBody,
  blockActionPayload,
  homeActionBody,
  slashCommandBody,
  slashCommandPayload,
  type AppHomeOpenedInput,
  type BlockActionInput,
  type SlashCommandInput,
} from './payloads.ts';
export { FAKE_IDENTITY } from './identity.ts';
export { newTriggerId } from './ids.ts';
export { MAX_MESSAGE_BLOCKS, MAX_VIEW_BLOCKS } from './blocks.ts';
export { MAX_TEXT_CHARACTERS } from './content.ts';
export { MAX_RESPONSE_URL_USES } from './response-endpoint.ts';
export { ACK_DEADLINE_IN_MS } from './socket-mode/hub.ts';
export type {
  FakeSocketMode,
  SocketAck,
  SocketAckRecord,
  SocketConnectionRecord,
  SocketDisconnectReason,
  SocketEnvelopeInput,
  SocketEnvelopeType,
  SocketViolation,
} from './socket-mode/types.ts';
export type {
  CallRecord,
  EphemeralRecord,
  FakeSlack,
  FakeSlackOptions,
  Fault,
  RateLimit,
  ResponseRecord,
  StoredFile,
  StoredMessage,
  ViewRecord,
} from './types.ts';
