// TowerQueue: filled in by its issue.
