"""Rule lists: greedy and certifiably optimal (CORELS) if / else-if / else classifiers."""

from ._classes import RuleListClassifier

__all__ = ["RuleListClassifier"]
