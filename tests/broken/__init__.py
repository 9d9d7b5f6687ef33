"""Deliberately broken gateways: vidmock with one defect each, to prove the harness catches it."""
