"""A learned ranker: LightGBM LambdaRank over the score components the services compute."""
