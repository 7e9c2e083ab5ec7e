// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const grafanaConfig = require('./.config/jest.config');

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...grafanaConfig,
  // Also compile .mjs files: d3-color, which @grafana/data loads, ships only ES modules as .mjs.
  transform: {
    '^.+\\.(t|j)sx?$|^.+\\.mjs$': grafanaConfig.transform['^.+\\.(t|j)sx?$'],
  },
};
