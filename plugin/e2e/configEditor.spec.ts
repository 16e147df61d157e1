import { expect, test } from '@grafana/plugin-e2e';

import { DeploylensOptions, DeploylensSecureJsonData } from '../src/types';

// The provisioned data source (../provisioning/datasources/datasources.yml)
// points at the stack's deploylens with a token that reads every team.

test('the config editor shows the connection and query defaults', async ({ createDataSourceConfigPage, page }) => {
  await createDataSourceConfigPage({ type: 'deploylens-deploylens-datasource' });
  await expect(page.getByLabel('URL')).toBeVisible();
  await expect(page.getByLabel('Token')).toBeVisible();
  await expect(page.getByLabel('Default environment')).toBeVisible();
});

test('"Save & test" reports a ready deploylens and the teams the token sees', async ({ gotoDataSourceConfigPage }) => {
  const configPage = await gotoDataSourceConfigPage('deploylens');
  await expect(configPage.saveAndTest()).toBeOK();
  await expect(configPage).toHaveAlert('success', { hasText: /is ready \(schema current\); the token sees 2 team/ });
});

test('"Save & test" tells the admin a wrong token was rejected', async ({
  createDataSourceConfigPage,
  readProvisionedDataSource,
  page,
}) => {
  const ds = await readProvisionedDataSource<DeploylensOptions, DeploylensSecureJsonData>({
    fileName: 'datasources.yml',
  });
  const configPage = await createDataSourceConfigPage({ type: ds.type });
  await page.getByLabel('URL').fill('http://deploylens:8080');
  await page.getByLabel('Token').fill('dlk_wrong_token');
  await expect(configPage.saveAndTest()).not.toBeOK();
  await expect(configPage).toHaveAlert('error', { hasText: /rejected the token/ });
});

test('"Save & test" tells the admin deploylens is unreachable', async ({ createDataSourceConfigPage, page }) => {
  const configPage = await createDataSourceConfigPage({ type: 'deploylens-deploylens-datasource' });
  await page.getByLabel('URL').fill('http://nothing-here:8080');
  await page.getByLabel('Token').fill('dlk_any_token');
  await expect(configPage.saveAndTest()).not.toBeOK();
  await expect(configPage).toHaveAlert('error', { hasText: /Cannot reach deploylens/ });
});
