-- The scratch app's tables on MySQL/MariaDB: create-app's adminuser and the seed's jobs columns.
CREATE TABLE adminuser (
  id VARCHAR(191) PRIMARY KEY,
  email VARCHAR(191) NOT NULL UNIQUE,
  password_hash VARCHAR(255) NOT NULL,
  role VARCHAR(191) NOT NULL,
  created_at DATETIME(3) NOT NULL
);
CREATE TABLE jobs (
  id VARCHAR(191) PRIMARY KEY,
  name VARCHAR(255),
  created_at DATETIME(3),
  finished_at DATETIME(3),
  started_by VARCHAR(191),
  state TEXT,
  progress VARCHAR(32),
  status VARCHAR(32),
  job_handler_name VARCHAR(191)
);
