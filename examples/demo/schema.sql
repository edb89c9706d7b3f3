-- The demo's tables on SQLite (a create-app project would have these from its Prisma migrations).
-- The plugin creates its own tables (af_bj_*) itself at start-up.
CREATE TABLE IF NOT EXISTS adminuser (
  id VARCHAR(255) PRIMARY KEY,
  email VARCHAR(255) NOT NULL UNIQUE,
  password_hash VARCHAR(255) NOT NULL,
  role VARCHAR(255) NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
  id VARCHAR(255) PRIMARY KEY,
  name VARCHAR(255),
  created_at DATETIME,
  finished_at DATETIME,
  started_by VARCHAR(255),
  state TEXT,
  progress VARCHAR(255),
  status VARCHAR(255),
  job_handler_name VARCHAR(255)
);
CREATE INDEX IF NOT EXISTS jobs_created_at ON jobs (created_at);
