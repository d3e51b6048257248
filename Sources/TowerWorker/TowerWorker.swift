// TowerWorker: filled in by its issue.
