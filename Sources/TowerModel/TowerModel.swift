// TowerModel: filled in by its issue.
