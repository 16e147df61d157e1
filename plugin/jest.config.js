// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // Rendering @grafana/ui's Select the first time is slow on a busy 2-core machine.
  testTimeout: 30000,
  transform: {
    ...base.transform,
    // d3-color (via @grafana/data) ships only .mjs files, which the
    // scaffolded pattern (.js/.ts) does not transform.
    '^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'],
  },
};
