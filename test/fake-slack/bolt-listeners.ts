import type { App } from '@slack/bolt';

/**
 * The Down click and App Home listeners both fake-Slack Bolt tests give their app (HTTP and
 * Socket Mode alike): a click answered through response_url, a home view published.
 */
export function addClickAndHomeListeners(app: App): App {
  app.action('cluster-down', async ({ ack, respond }) => {
    await ack();
    await respond({ replace_original: true, text: 'Cluster a is going down' });
  });
  app.event('app_home_opened', async ({ event, client }) => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'No clusters' } }];
    await client.views.publish({ user_id: event.user, view: { type: 'home', blocks } });
  });
  return app;
}
