import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng, pngContent, readPngInfo } from '../src/adapters/chart/png-info.ts';
import { openSqliteStore } from '../src/adapters/store-sqlite/sqlite-store.ts';
import { periodAround } from '../src/domain/time-zone.ts';
import { makeTempDir } from './support/local-fixtures.ts';
import { eventually, onTimeoutDescribe, startSlackBot } from './support/slack-bot.ts';

type SlackBot = Awaited<ReturnType<typeof startSlackBot>>;

const HOUR = 3_600_000;
const ZONE = 'Europe/Berlin';
const USERS = 40;

/**
 * Last week as a busy team's: 40 users, 60 clusters, usage every day. Written through the real
 * store before the bot starts, so the report has real figures to show (and more lines than a
 * Slack section holds).
 */
function seedLastWeek(dataDir: string): { fromMs: number; expectedUsd: number } {
  const store = openSqliteStore(path.join(dataDir, 'mpibox.db'));
  const thisWeek = periodAround(Date.now(), 'week', ZONE);
  const week = periodAround(thisWeek.fromMs - 1, 'week', ZONE);
  let expectedUsd = 0;
  for (let index = 0; index < 60; index += 1) {
    const user = `U${String(index % USERS).padStart(4, '0')}X`;
    const startedAtMs = week.fromMs + (index % 7) * 24 * HOUR + 9 * HOUR;
    store.touchUser(user, `user <${index % USERS}> & co`, 'C1', startedAtMs);
    store.insertCluster({
      id: `past${index}-abc${String(index).padStart(3, '0')}`,
      name: `past${index}`,
      channelId: 'C1',
      ownerId: user,
      provider: 'local',
      size: 'local',
      spot: false,
      nodeCount: 2,
      createdAtMs: startedAtMs,
    });
    for (const node of [0, 1]) {
      store.openUsage({
        clusterId: `past${index}-abc${String(index).padStart(3, '0')}`,
        nodeName: `past${index}-${node}`,
        size: 'local',
        startedAtMs,
        region: 'eastus',
        usdPerHour: 3.6,
      });
      store.closeUsage(
        `past${index}-abc${String(index).padStart(3, '0')}`,
        `past${index}-${node}`,
        startedAtMs + 3 * HOUR,
      );
      expectedUsd += 3 * 3.6;
    }
    store.updateCluster(`past${index}-abc${String(index).padStart(3, '0')}`, {
      state: 'deleted',
      deletedAtMs: startedAtMs + 3 * HOUR,
      updatedAtMs: startedAtMs + 3 * HOUR,
    });
  }
  store.close();
  return { fromMs: week.fromMs, expectedUsd };
}

/**
 * The scheduled cost report through the real bot and the fake Slack, which enforces Slack's
 * message limits: the report fits them, and its chart arrives in the thread as a PNG of the
 * right size with real content.
 */
describe('scheduled cost report (real bot, fake Slack)', () => {
  let s: SlackBot;
  let seeded: { fromMs: number; expectedUsd: number };

  beforeAll(async () => {
    const dataDir = makeTempDir('mpibox-report');
    seeded = seedLastWeek(dataDir);
    s = await startSlackBot(
      'report',
      17,
      {},
      {
        MPIBOX_DATA_DIR: dataDir,
        MPIBOX_REPORT_SCHEDULE: '*/2 * * * * *',
        MPIBOX_REPORT_TZ: ZONE,
        MPIBOX_REPORT_CHANNEL: 'C1',
        MPIBOX_REAPER_SCHEDULE: 'off',
      },
    );
    onTimeoutDescribe(
      () =>
        `messages:\n${s.fake
          .messages('C1')
          .map((m) => m.text.slice(0, 100))
          .join('\n')}\nstderr:\n${s.bot.stderr.slice(-3000)}`,
    );
  });

  afterAll(async () => {
    await s.stop();
  });

  it(
    'posts last week’s spend within Slack’s limits, with a daily-spend chart in its thread',
    { timeout: 60_000 },
    async () => {
      const report = await eventually(
        () => s.fake.messages('C1').find((message) => /^Cost last week/.test(message.text)),
        'report posted',
      );
      const chart = await eventually(
        () => s.fake.files.find((file) => file.completed && file.threadTs === report.ts),
        'chart uploaded in its thread',
      );
      const png = chart.bytes!;
      const info = readPngInfo(png);
      const content = pngContent(decodePng(png));

      // 60 clusters × 2 nodes × 3 h × $3.60 = $1,296.00
      expect(seeded.expectedUsd).toBeCloseTo(1296, 6);
      expect(report.text).toContain('$1,296.00 for 360.0 node-hours');
      const body = JSON.stringify(report.blocks);
      expect(body).toContain('…and 25 more'); // 40 users: 15 lines, then the rest counted
      expect(s.fake.violations()).toEqual([]);
      expect(chart.filename).toMatch(/^daily-spend-\d{4}-\d\d-\d\d\.png$/);
      expect([info.widthInPx, info.heightInPx]).toEqual([800, 400]);
      expect(content.nonBackgroundPixels).toBeGreaterThan(800 * 400 * 0.05);
      expect(content.distinctColours).toBeGreaterThan(20);
    },
  );
});
