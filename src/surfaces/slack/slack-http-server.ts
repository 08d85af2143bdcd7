import http from 'node:http';
import { HTTPModuleFunctions, type HTTPReceiver, isRawBodyError, verifySlackRequest } from '@slack/bolt';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import { ReplayGuard } from './replay-guard.ts';
import { judgeRequest, type RequestVerdict } from './request-shape.ts';

/** Bolt's limit on a request body (4 MB): anything larger is answered 413. */
const BODY_LIMIT_IN_BYTES = 4 * 1024 * 1024;
const FORM = 'application/x-www-form-urlencoded';

export interface SlackHttpServerOptions {
  /** Bolt's receiver, made with `signatureVerification: false`: this server verifies. */
  receiver: HTTPReceiver;
  signingSecret: string;
  /** The path Slack posts to; anything else gets 404. */
  path: string;
  /** 0: any free port. */
  port: number;
  /** Where accepted request signatures are kept across restarts; null: memory only. */
  journalPath: string | null;
  clock: Clock;
  logger: Logger;
}

/**
 * The HTTP server in front of Bolt's receiver, in the order that keeps junk cheap and the
 * process alive: path (404), replay and timestamp (401, before the body is read), signature
 * (401), then the body's shape (400), and only a request that passed all of them reaches Bolt.
 * The signature is checked here, on our clock, rather than by Bolt, so that the replay guard
 * and the signature agree on which timestamps are honoured.
 */
export async function startSlackHttpServer(
  options: SlackHttpServerOptions,
): Promise<{ port: number; stop(): Promise<void> }> {
  const { receiver, logger } = options;
  const guard = new ReplayGuard(() => options.clock.nowInMs(), { journalPath: options.journalPath });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url?.split('?', 1)[0] !== options.path) {
      res.writeHead(404).end(); // Bolt would throw for anything else, uncaught
      return;
    }
    const timestamp = header(req, 'x-slack-request-timestamp');
    const ticket = guard.admit(header(req, 'x-slack-signature'), timestamp);
    if (!ticket) {
      logger.warn('slack request refused: a replay, or its signature or timestamp unusable', {
        url: req.url,
        timestampAheadInS: Number(timestamp) - Math.floor(options.clock.nowInMs() / 1000),
      });
      res.writeHead(401).end();
      return;
    }
    // Remembered only once proved genuine (below): a request that ends before (401, ssl_check,
    // a dropped connection) leaves nothing behind, so made-up signatures cannot push real ones
    // out, and a sender hanging up after the check cannot have its request played again.
    res.once('close', () => ticket.rejected());

    let request;
    try {
      request = await HTTPModuleFunctions.bufferIncomingMessage(req, BODY_LIMIT_IN_BYTES);
    } catch (error) {
      const tooLarge = isRawBodyError(error) && (error as { statusCode: number }).statusCode === 413;
      if (!res.headersSent) res.writeHead(tooLarge ? 413 : 400).end();
      return;
    }
    const text = request.rawBody.toString();
    const form = req.headers['content-type'] === FORM && text.includes('ssl_check');
    if (form && new URLSearchParams(text).get('ssl_check') === '1') {
      // Slack's probe of the certificate: Bolt skips the signature for it, and so may we, as
      // long as nothing else in the body is ever acted on.
      res.writeHead(200).end();
      return;
    }
    try {
      verifySlackRequest({
        signingSecret: options.signingSecret,
        body: text,
        headers: {
          'x-slack-signature': header(req, 'x-slack-signature') ?? '',
          'x-slack-request-timestamp': Number(timestamp),
        },
        nowMilliseconds: options.clock.nowInMs(),
      });
    } catch (error) {
      logger.warn('slack request refused: signature does not verify', { error: String(error) });
      res.writeHead(401).end();
      return;
    }
    ticket.accepted();

    let verdict: RequestVerdict;
    try {
      verdict = judgeRequest(HTTPModuleFunctions.parseHTTPRequestBody(request)); // as Bolt will parse it
    } catch {
      verdict = { kind: 'malformed', problem: 'not JSON' };
    }
    if (verdict.kind !== 'serve') {
      if (verdict.kind === 'malformed')
        logger.warn('malformed slack request refused', { problem: verdict.problem, transport: 'http' });
      res.writeHead(verdict.kind === 'ignore' ? 200 : 400).end();
      return;
    }
    // A slash command's answer is JSON, given to Bolt as text (see slack-app.ts, asJson).
    if (verdict.isCommand) res.setHeader('content-type', 'application/json');
    receiver.requestListener(req, res);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('slack request not handled', { url: req.url, error: String(error) });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    stop: () =>
      new Promise((resolve) =>
        server.close(() => {
          guard.close();
          resolve();
        }),
      ),
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
