// TowerRanking: filled in by its issue.
