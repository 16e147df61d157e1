import { expect, test } from '@grafana/plugin-e2e';

test('the query editor lists teams from deploylens and runs a DORA summary', async ({ panelEditPage, page }) => {
  await panelEditPage.datasource.set('deploylens');
  const row = panelEditPage.getQueryEditorRow('A');
  await row.getByLabel('Team').click();
  await expect(page.getByRole('option', { name: 'payments' })).toBeVisible();
  await expect(page.getByRole('option', { name: 'search' })).toBeVisible();
  await page.getByRole('option', { name: 'payments' }).click();
  await panelEditPage.setVisualization('Table');
  await expect(panelEditPage.refreshPanel()).toBeOK();
  await expect(panelEditPage.panel.fieldNames).toContainText([
    'Deployments',
    'Lead time (median)',
    'Change failure rate',
  ]);
});

test('a deployments query feeds a table with verdicts', async ({ panelEditPage, page }) => {
  await panelEditPage.datasource.set('deploylens');
  const row = panelEditPage.getQueryEditorRow('A');
  await row.getByLabel('Query type').click();
  await page.getByRole('option', { name: /^Deployments/ }).click();
  await panelEditPage.setVisualization('Table');
  await expect(panelEditPage.refreshPanel()).toBeOK();
  await expect(panelEditPage.panel.data).toContainText(['payments-checkout-3']);
});
