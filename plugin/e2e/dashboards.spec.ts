import { expect, test } from '@grafana/plugin-e2e';

// The dashboards of ../../dashboards, provisioned from
// ../provisioning/dashboards/dashboards.yml, open without panel errors.
for (const { uid, panel } of [
  { uid: 'deploylens-dora', panel: 'Deployment frequency' },
  { uid: 'deploylens-waits', panel: 'Top waits' },
  { uid: 'deploylens-canary', panel: 'Analyses' },
  { uid: 'deploylens-service-health', panel: 'Requests' },
]) {
  test(`dashboard ${uid} renders its panels without errors`, async ({ gotoDashboardPage }) => {
    const dashboard = await gotoDashboardPage({ uid });
    await expect(dashboard.getPanelByTitle(panel).locator).toBeVisible();
    await expect(dashboard).toHavePanelErrors(0);
  });
}
