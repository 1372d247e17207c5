import type { Config } from './config';
import { PostgresStore } from './store/postgres';
import { SqliteStore } from './store/sqlite';
import type { Store } from './store/types';

/** PostgreSQL when a database URL is configured (`DATABASE_URL`), else SQLite under dataDir. */
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>,
): Promise<Store> {
  const store: Store = config.databaseUrl
    ? new PostgresStore(config.databaseUrl, config.databasePoolSize)
    : new SqliteStore(config.dataDir);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
