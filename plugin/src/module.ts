import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { DeploylensOptions, DeploylensQuery } from './types';

export const plugin = new DataSourcePlugin<DataSource, DeploylensQuery, DeploylensOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
