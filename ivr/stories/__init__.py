"""Stories: topics, published stories, the story player, replies to stories, staff pages and demo seed."""
