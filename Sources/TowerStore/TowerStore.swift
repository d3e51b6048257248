// TowerStore: filled in by its issue.
