"""Reporters turn a report into text for people or machines. They import only `auditor.core`
(and the schemas), never the engine or the rules."""
