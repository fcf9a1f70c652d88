"""Deployment tooling: the local production topology (`make run-cluster`) and its nginx config.

bench/ measures with it (bench/live.py --nginx); it never imports bench/.
"""
