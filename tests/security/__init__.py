"""Hostile input and sign-in hardening (issue 12): each finding reproduced and refused."""
