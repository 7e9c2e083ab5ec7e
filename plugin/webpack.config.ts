// Extends the scaffolded build (.config/webpack; .config/README.md says how) in two ways:
// - the clean step keeps the Go backend binaries (gpx_*) that the Makefile writes into dist/;
// - no LICENSE is copied into dist/, as the project ships none.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';

import { copyFilePatterns } from './.config/bundler/copyFiles.ts';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config.ts';

const config = async (env: Env): Promise<Configuration> => {
  const base = await grafanaConfig(env);
  return {
    ...base,
    output: { ...base.output, clean: { keep: /^(gpx_|go_plugin_build_manifest)/ } },
    plugins: base.plugins?.map((plugin) =>
      plugin instanceof CopyWebpackPlugin
        ? new CopyWebpackPlugin({ patterns: copyFilePatterns.filter((pattern) => pattern.from !== '../LICENSE') })
        : plugin
    ),
  };
};

export default config;
