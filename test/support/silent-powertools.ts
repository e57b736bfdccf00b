// Imported first by unit tests that run a handler: its logs and metric lines would only be noise.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
